/** The integration fixture most ingress tests need: a store, the shared Temporal, an ingress and the example worker. */
import { createTestStore } from './db';
import { startTestIngress, type TestIngress } from './ingress';
import { getTestTemporal, startExampleTestWorker, type TestTemporal } from './temporal';

export interface IngressFixture {
  store: Awaited<ReturnType<typeof createTestStore>>;
  temporal: TestTemporal;
  ingress: TestIngress;
  close(): Promise<void>;
}

/** Starts everything with the example worker polling `taskQueue`; `close()` tears it down in reverse. */
export async function startIngressFixture(taskQueue: string): Promise<IngressFixture> {
  const store = await createTestStore();
  const temporal = await getTestTemporal();
  const ingress = await startTestIngress(store, temporal.client);
  const worker = await startExampleTestWorker(taskQueue);
  return {
    store,
    temporal,
    ingress,
    async close() {
      await worker.stop();
      await ingress.close();
      await store.dropSchema();
      await store.close();
    },
  };
}
