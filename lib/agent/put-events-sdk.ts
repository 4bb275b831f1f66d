// PutEvents through the SDK's EventBridge client: for callers that already hold one (and for tests with aws-sdk-client-mock).
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { PutEventsPort } from './put-events.ts';

export function sdkPutEvents(client: Pick<EventBridgeClient, 'send'>): PutEventsPort {
  return {
    async putEvents(busName, entries) {
      const response = await client.send(
        new PutEventsCommand({ Entries: entries.map((e) => ({ ...e, EventBusName: busName })) }),
      );
      return response.Entries ?? [];
    },
  };
}
