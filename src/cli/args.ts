/**
 * What every `tempohook` command shares for its arguments: strict parsing where a mistake is a
 * one-line `usage` error (exit 2) pointing at the command's `--help`, and the common flags.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import YAML from 'yaml';
import { TempohookError } from '../errors';
import { resourceName } from '../resources/schemas';
import type { CliContext } from './api-client';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** `-h, --help`, which every command and subcommand takes. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/** `parseArgs` whose mistakes become a `usage` error pointing at `--help`. */
export function parseCommandArgs<O extends OptionsConfig>(
  argv: string[],
  options: O,
  command: string,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    // node adds advice on "--" for positionals after its first sentence; the first says what is wrong.
    const first = (err as Error).message.split(/\.(?:\s|$)/)[0]!;
    throw new TempohookError('usage', `${first} (see \`tempohook ${command} --help\`)`, 400);
  }
}

/** Refuses positional arguments a command does not take. */
export function noPositionals(positionals: string[], command: string): void {
  if (positionals.length > 0)
    throw new TempohookError(
      'usage',
      `unexpected argument "${positionals[0]}" (see \`tempohook ${command} --help\`)`,
      400,
    );
}

/**
 * The flags of a command that takes no positional arguments: undefined after printing `usage`
 * for `--help`, else the parsed values.
 */
export function commandFlags<O extends OptionsConfig>(
  ctx: CliContext,
  argv: string[],
  options: O,
  command: string,
  usage: string,
): ReturnType<typeof parseCommandArgs<O>>['values'] | undefined {
  const { values, positionals } = parseCommandArgs(argv, options, command);
  if ((values as { help?: boolean }).help) {
    ctx.stdout(usage);
    return undefined;
  }
  noPositionals(positionals, command);
  return values;
}

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function outputFormat(value: string | undefined, command: string): OutputFormat {
  const format = (value ?? 'table') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format))
    throw new TempohookError(
      'usage',
      `-o ${value} is not one of ${OUTPUT_FORMATS.join(', ')} (see \`tempohook ${command} --help\`)`,
      400,
    );
  return format;
}

/** Validates a namespace given on the command line, as the API would. */
export function namespaceFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!resourceName.safeParse(value).success)
    throw new TempohookError('usage', `-n ${value}: a namespace is lower-case letters, digits and "-".`, 400);
  return value;
}

/** Prints the API's answer as JSON or YAML; returns the exit code. */
export function printStructured(ctx: CliContext, body: unknown, format: 'json' | 'yaml'): number {
  ctx.stdout(format === 'json' ? `${JSON.stringify(body, null, 2)}\n` : YAML.stringify(body, { lineWidth: 0 }));
  return 0;
}
