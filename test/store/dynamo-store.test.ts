// The DynamoDB Store, on the run's dynalite, meets the Store contract.
import { describeStoreContract } from '../contracts/store-contract.ts';
import { freshDynamoStore } from '../support/dynamo.ts';

describeStoreContract('DynamoDB on dynalite', async () => (await freshDynamoStore()).store);
