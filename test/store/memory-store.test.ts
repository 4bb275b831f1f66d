// The in-memory Store meets the Store contract.
import { createMemoryStore } from '../../lib/memory/store.ts';
import { describeStoreContract } from '../contracts/store-contract.ts';

describeStoreContract('memory', async () => createMemoryStore());
