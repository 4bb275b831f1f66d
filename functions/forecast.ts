// Lambda door of the forecast run: an hourly schedule in, a summary of the run out.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { z } from 'zod';
import { createEventBridgeSink } from '../lib/adapters/eventbridge-sink.ts';
import { parseOrThrow } from '../lib/domain/validation.ts';
import { systemClock } from '../lib/memory/clock.ts';
import { runForecast, type ForecastRunResult } from '../lib/runs/forecast.ts';
import { createDynamoStore } from '../lib/store/index.ts';

const zEnvironment = z.object({
  TABLE_NAME: z.string().min(1),
  EVENT_BUS_NAME: z.string().min(1),
  FORECAST_HORIZON_HOURS: z.coerce.number().int().min(1).max(336).default(48),
  FORECAST_HISTORY_DAYS: z.coerce.number().int().min(2).max(120).default(28),
});

/** Read once at cold start: a missing variable fails the first invocation loudly. */
const environment = parseOrThrow(zEnvironment, process.env, 'forecast function environment');

const store = createDynamoStore({
  client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
  tableName: environment.TABLE_NAME,
});

/** Decisions onto the bus. */
const events = createEventBridgeSink({
  client: new EventBridgeClient({}),
  eventBusName: environment.EVENT_BUS_NAME,
});

export async function forecastHandler(_event: ScheduledEvent): Promise<ForecastRunResult> {
  return runForecast(
    { store, events, clock: systemClock, log: (entry) => console.log(JSON.stringify(entry)) },
    { horizonHours: environment.FORECAST_HORIZON_HOURS, historyDays: environment.FORECAST_HISTORY_DAYS },
  );
}

export const handler = middy<ScheduledEvent, ForecastRunResult>().handler(forecastHandler);
