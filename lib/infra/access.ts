// What each function may do, as the run catalogue declares it: the one list IAM is built from.
import { RUNS, type FunctionAccess, type FunctionName } from '../system/catalogue.ts';

export {
  FUNCTION_NAMES,
  TABLE_ACTIONS,
  type Ec2Access,
  type FunctionAccess,
  type FunctionName,
  type TableAction,
} from '../system/catalogue.ts';

export const FUNCTION_ACCESS = Object.fromEntries(
  Object.entries(RUNS).map(([name, entry]) => [name, entry.access]),
) as Record<FunctionName, FunctionAccess>;
