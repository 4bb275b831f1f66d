// Starts what the tests need before any test file runs.
export default async function setup(): Promise<() => Promise<void>> {
  return async () => {};
}
