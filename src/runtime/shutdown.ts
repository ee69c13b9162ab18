/**
 * Resolves on the first SIGINT/SIGTERM (Ctrl-C). A second one more than a second later forces
 * exit; closer ones are the same Ctrl-C arriving twice (the terminal signals the whole process
 * group, and `npm start`'s tsx relays it to this process too).
 */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let firstAt: number | undefined;
    const handler = (signal: NodeJS.Signals) => {
      if (firstAt !== undefined) {
        if (Date.now() - firstAt < 1000) return;
        process.stderr.write('second signal: exiting now\n');
        process.exit(130);
      }
      firstAt = Date.now();
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
