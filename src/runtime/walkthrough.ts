/**
 * The copy-paste commands `tempohook dev` prints. The generic profile signs a timestamp, so the
 * curl computes the signature in the shell (openssl) at paste time instead of printing one that
 * expires in five minutes.
 */
export function genericCurl(ingressUrl: string, endpointPath: string, secret: string): string {
  return [
    `TS=$(date +%s); BODY='{"requestedBy":"curl","week":"2026-W48"}'`,
    `SIG=$(printf '%s' "$TS.$BODY" | openssl dgst -sha256 -hmac '${secret}' | sed 's/^.*= //')`,
    `curl -sS -X POST '${ingressUrl}${endpointPath}' \\`,
    `  -H 'Content-Type: application/json' -H "X-Timestamp: $TS" \\`,
    `  -H "X-Event-Id: evt-$TS" -H "X-Signature: sha256=$SIG" \\`,
    `  --data "$BODY"`,
  ].join('\n');
}

export function devBanner(input: {
  ingressUrl: string;
  temporalAddress: string;
  uiUrl?: string;
  adminToken: string;
  adminTokenGenerated: boolean;
  genericEndpointPath?: string;
  exampleSecret?: string;
  storeDescription: string;
}): string {
  const lines = [
    '',
    'tempohook dev is running',
    `  ingress      ${input.ingressUrl}   (health: ${input.ingressUrl}/readyz)`,
    `  temporal     ${input.temporalAddress}${input.uiUrl ? `   (Web UI: ${input.uiUrl})` : ''}`,
    `  store        ${input.storeDescription}`,
    `  console      ${input.ingressUrl}/console/   (sign in with the admin token)`,
    `  admin token  ${input.adminToken}${input.adminTokenGenerated ? '   (generated; kept in the data dir)' : ''}`,
    '',
    `  export TEMPOHOOK_ADMIN_TOKEN=${input.adminToken}`,
  ];
  if (input.genericEndpointPath && input.exampleSecret) {
    lines.push(
      '',
      'Send a signed delivery to the example webhook (starts weeklyReport):',
      '',
      genericCurl(input.ingressUrl, input.genericEndpointPath, input.exampleSecret),
      '',
      'or, without openssl:  npx tempohook send weekly-report --secret ' +
        input.exampleSecret +
        ` --data '{"requestedBy":"cli"}'`,
      'then:                 npx tempohook get deliveries weekly-report',
    );
  }
  lines.push('', 'Ctrl-C stops everything.', '');
  return lines.join('\n');
}
