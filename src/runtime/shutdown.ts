/** Runs cleanup steps in reverse order on SIGINT/SIGTERM (Ctrl-C), once; a second Ctrl-C forces exit. */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const handler = (signal: NodeJS.Signals) => {
      if (received) {
        process.stderr.write('second signal: exiting now\n');
        process.exit(130);
      }
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

/** A stack of cleanup steps; `run` executes them newest first and never throws. */
export function createCleanupStack(onError: (step: string, err: unknown) => void) {
  const steps: Array<{ name: string; fn: () => unknown }> = [];
  return {
    push(name: string, fn: () => unknown) {
      steps.push({ name, fn });
    },
    async run() {
      while (steps.length > 0) {
        const step = steps.pop()!;
        try {
          await step.fn();
        } catch (err) {
          onError(step.name, err);
        }
      }
    },
  };
}
