/**
 * Verification cost per delivery, ours beside the providers' own libraries on the same bodies.
 * Run alone with `npx tsx bench/verify.ts`, or call `runVerifyBench()`.
 *
 * Libraries get the body in the form they take (a string where they require one, converted
 * outside the timed loop). Part of what their callers pay is timed with them: stripe's
 * constructEvent and standardwebhooks' verify parse the JSON, and twilio's caller parses the form.
 */
import { generateKeyPairSync } from 'node:crypto';
import { isValidSlackRequest } from '@slack/bolt';
import { EventWebhook } from '@sendgrid/eventwebhook';
import { verifyKey } from 'discord-interactions';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import twilio from 'twilio';
import { profiles, type InboundRequest, type Profile } from '../src/verify';

export interface VerifyBenchRow {
  profile: string;
  /** The nominal size: 1 KiB or 64 KiB (the exact body may differ by a few bytes). */
  bodyBytes: number;
  oursMicros: number;
  theirsMicros?: number;
  library?: string;
}

const SIZES = [1024, 64 * 1024];
const SECRET = 'bench-secret';
const URL_BASE = 'https://hooks.example.com/v1/webhook-deliveries/bench';

function jsonBody(size: number, extra: Record<string, unknown> = {}): string {
  const head = JSON.stringify({ id: 'evt_bench', type: 'bench.event', ...extra, padding: '' });
  return head.replace('"padding":""', `"padding":"${'x'.repeat(Math.max(0, size - head.length))}"`);
}

interface BenchCase {
  /** Defaults to `SECRET`. */
  secret?: string;
  signingSecret?: string;
  /** Defaults to a JSON object padded to the size. */
  body?(size: number): string;
  /** The URL signed; Twilio's own is a fixed form-post URL, JSON profiles do not read it. */
  url?: string;
  /** The provider library's verify on the same request, when one exists. */
  theirs?: { library: string; make(req: InboundRequest, body: string): () => unknown };
}

/** What differs from the defaults, per profile (profiles not named here use them all). */
function benchCases(): Record<string, BenchCase> {
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ed = generateKeyPairSync('ed25519');
  const ecPublic = ec.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const edPublicHex = ed.publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('hex');
  const pem = (key: typeof ec.privateKey) => key.export({ format: 'pem', type: 'pkcs8' }).toString();
  const stripe = new Stripe('sk_test_bench');
  const sendgrid = new EventWebhook();
  const sendgridKey = sendgrid.convertPublicKeyToECDSA(ecPublic);
  const standardWebhook = new StandardWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  const formBody = (size: number) => `From=%2B15550001111&To=%2B15550002222&Body=${'x'.repeat(Math.max(0, size - 45))}`;

  return {
    github: {
      theirs: {
        library: '@octokit/webhooks-methods verify',
        make: (req, body) => {
          const signature = req.headers['x-hub-signature-256']!;
          return () => octokitVerify!(SECRET, body, signature);
        },
      },
    },
    stripe: {
      secret: 'whsec_bench',
      theirs: {
        library: 'stripe constructEvent',
        make: (req, body) => () =>
          stripe.webhooks.constructEvent(body, req.headers['stripe-signature']!, 'whsec_bench'),
      },
    },
    slack: {
      theirs: {
        library: '@slack/bolt isValidSlackRequest',
        make: (req, body) => {
          const headers = {
            'x-slack-signature': req.headers['x-slack-signature']!,
            'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']),
          };
          return () => isValidSlackRequest({ signingSecret: SECRET, body, headers });
        },
      },
    },
    msteams: { secret: Buffer.alloc(32, 1).toString('base64') },
    sendgrid: {
      secret: ecPublic,
      signingSecret: pem(ec.privateKey),
      body: (n) => `[${jsonBody(n - 3, { sg_event_id: 'sg_1' })}]\r\n`,
      theirs: {
        library: '@sendgrid/eventwebhook verifySignature',
        make: (req, body) => () =>
          sendgrid.verifySignature(
            sendgridKey,
            body,
            req.headers['x-twilio-email-event-webhook-signature']!,
            req.headers['x-twilio-email-event-webhook-timestamp']!,
          ),
      },
    },
    'standard-webhooks': {
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      theirs: {
        library: 'standardwebhooks verify',
        make: (req, body) => () => standardWebhook.verify(body, req.headers as Record<string, string>),
      },
    },
    twilio: {
      body: formBody,
      url: `${URL_BASE}?tenant=a`,
      theirs: {
        library: 'twilio validateRequest',
        // Their caller must parse the form body first (express.urlencoded); that is timed too.
        make: (req, body) => () =>
          twilio.validateRequest(
            SECRET,
            req.headers['x-twilio-signature']!,
            req.url,
            Object.fromEntries(new URLSearchParams(body)),
          ),
      },
    },
    discord: {
      secret: edPublicHex,
      signingSecret: pem(ed.privateKey),
      theirs: {
        library: 'discord-interactions verifyKey',
        make: (req, body) => () =>
          verifyKey(body, req.headers['x-signature-ed25519']!, req.headers['x-signature-timestamp']!, edPublicHex),
      },
    },
    linear: { body: (n) => jsonBody(n, { webhookTimestamp: Date.now() }) },
  };
}

let octokitVerify: ((secret: string, payload: string, signature: string) => Promise<boolean>) | undefined;

/** µs per call: the median of several timed batches after a warm-up, which keeps GC and JIT noise out. */
export async function microsPerCall(fn: () => unknown, batches = 7, batchMs = 30): Promise<number> {
  const run = async (ms: number): Promise<number> => {
    let calls = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(ms) * 1_000_000n;
    do {
      const result = fn();
      if (result instanceof Promise) await result;
      calls++;
    } while (calls < 5 || process.hrtime.bigint() < deadline);
    return Number(process.hrtime.bigint() - start) / 1000 / calls;
  };
  await run(batchMs * 2);
  const samples: number[] = [];
  for (let i = 0; i < batches; i++) samples.push(await run(batchMs));
  return samples.sort((a, b) => a - b)[Math.floor(batches / 2)]!;
}

function signedRequest(profile: Profile, c: BenchCase, body: string): InboundRequest {
  const rawBody = Buffer.from(body);
  const url = c.url ?? URL_BASE;
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = profile.sign(c.signingSecret ?? c.secret ?? SECRET, {
    rawBody,
    eventId: 'msg_bench',
    timestamp,
    url,
  });
  return { rawBody, headers, url, receivedAt: new Date() };
}

/** Measures every profile at 1 KiB and 64 KiB, prints a table and returns the rows. */
export async function runVerifyBench(): Promise<VerifyBenchRow[]> {
  octokitVerify ??= (await import('@octokit/webhooks-methods')).verify;
  const cases = benchCases();
  const runs = profiles.flatMap((profile) =>
    SIZES.map((size) => {
      const c = cases[profile.name] ?? {};
      const body = c.body?.(size) ?? jsonBody(size);
      const secrets = [c.secret ?? SECRET];
      const req = signedRequest(profile, c, body);
      const check = profile.verify(req, secrets);
      if (!check.ok) throw new Error(`bench request for ${profile.name} does not verify: ${check.code}`);
      return { profile, size, body, req, ours: () => profile.verify(req, secrets), theirs: c.theirs };
    }),
  );
  // Warm the shared engine on every profile first, so the first one measured is not penalised.
  for (const run of runs) for (let i = 0; i < 200; i++) run.ours();

  const rows: VerifyBenchRow[] = [];
  for (const { profile, size, body, req, ours, theirs } of runs) {
    const row: VerifyBenchRow = { profile: profile.name, bodyBytes: size, oursMicros: await microsPerCall(ours) };
    if (theirs) {
      const call = theirs.make(req, body);
      if ((await call()) === false) throw new Error(`${theirs.library} rejects the bench request`);
      row.theirsMicros = await microsPerCall(call);
      row.library = theirs.library;
    }
    rows.push(row);
  }
  printTable(rows);
  return rows;
}

function printTable(rows: readonly VerifyBenchRow[]): void {
  const fmt = (n: number | undefined) => (n === undefined ? '—' : n < 10 ? n.toFixed(2) : n.toFixed(1));
  console.log('profile            body     ours µs   theirs µs   ours/theirs   library');
  for (const row of rows) {
    const size = `${row.bodyBytes / 1024} KiB`;
    const ratio = row.theirsMicros === undefined ? '—' : (row.oursMicros / row.theirsMicros).toFixed(2);
    console.log(
      `${row.profile.padEnd(18)} ${size.padStart(6)} ${fmt(row.oursMicros).padStart(10)} ${fmt(row.theirsMicros).padStart(11)} ${ratio.padStart(13)}   ${row.library ?? ''}`,
    );
  }
}

if (require.main === module) {
  runVerifyBench().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
