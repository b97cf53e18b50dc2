import { parseCommand, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { decodeToken, tokenText, type DecodedToken } from '../inspect/decode.js';
import { isSecretLookingName, lintToken, type Finding } from '../inspect/lint.js';
import { verifySignature, type KeySource, type VerifyOutcome } from '../inspect/verify.js';
import { formatDuration, styleFor, type Style } from '../output.js';

const HELP = `Usage: tessera inspect <token | -> [--jwks URL|FILE | --secret-env NAME] [--json]

Decodes a JWT and shows what anyone holding it can read (a JWT is signed, not encrypted), then
lints it: alg (none; HS* where a public key is expected), typ (at+jwt), key-naming headers
(jku, x5u, jwk, x5c), lifetime (exp - iat over 900 s), missing iss / aud / exp / jti / sub / iat,
secret-looking claim names (password, secret, hash, ssn, card, token, pin…), size (over 4 KB
warns, over 8 KB is an error), expired / not yet valid.

  -                      read the token from stdin (keeps it out of your shell history)
  --jwks URL|FILE        verify the signature with a JWK Set: an http(s) URL
                         (e.g. https://auth.example.com/.well-known/jwks.json) or a JSON file
  --secret-env NAME      verify an HS256 signature with the secret in environment variable NAME
                         (never on the command line)
  --json                 machine-readable output

The signature is never printed, nor is any secret; values of secret-looking claims are redacted.

Exit codes: 0 clean, 1 findings, 2 invalid (not a JWT, or the signature does not verify).
`;

const FLAGS = {
  jwks: { type: 'string' },
  'secret-env': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf', 'auth_time']);

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += buf.length;
    // Far above any token a server would accept; stop reading rather than buffer without bound.
    if (total > 1024 * 1024) throw new UsageError('tessera inspect', 'stdin holds more than 1 MiB; that is not a token');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The payload with the values of secret-looking claims replaced by a note (nested objects too). */
function redact(value: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (isSecretLookingName(k)) {
      const size = typeof v === 'string' ? `${[...v].length} characters` : typeof v;
      Object.defineProperty(out, k, { value: `[redacted here: ${size}; anyone holding the token can read it]`, enumerable: true, writable: true, configurable: true });
    } else if (depth < 8 && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      Object.defineProperty(out, k, { value: redact(v as Record<string, unknown>, depth + 1), enumerable: true, writable: true, configurable: true });
    } else {
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

function relative(seconds: number, nowSeconds: number): string {
  const delta = seconds - nowSeconds;
  const span = formatDuration(Math.abs(delta) * 1000);
  return delta >= 0 ? `in ${span}` : `${span} ago`;
}

function claimLines(payload: Record<string, unknown>, nowSeconds: number): string[] {
  const width = Math.max(0, ...Object.keys(payload).map((k) => k.length));
  return Object.entries(payload).map(([k, v]) => {
    let text = JSON.stringify(v);
    if (TIME_CLAIMS.has(k) && typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < 1e11) {
      text += `  (${new Date(v * 1000).toISOString()}, ${relative(v, nowSeconds)})`;
    }
    return `  ${k.padEnd(width)}  ${text}`;
  });
}

function formatFinding(f: Finding, style: Style): string {
  const tag = f.severity === 'error' ? style.red('error  ') : style.yellow('warning');
  return `  ${tag} ${style.bold(f.code)}: ${f.message}`;
}

interface Report {
  status: 'clean' | 'findings' | 'invalid';
  error?: string;
  decoded?: DecodedToken;
  verification: VerifyOutcome | null;
  findings: Finding[];
}

function printText(report: Report, nowSeconds: number): void {
  const style = styleFor(process.stdout);
  const out: string[] = [];
  const { decoded } = report;
  if (decoded) {
    out.push(style.bold('header'));
    out.push(...claimLines(decoded.header, nowSeconds));
    out.push(style.bold('payload'));
    out.push(...claimLines(redact(decoded.payload), nowSeconds));
    out.push(`${style.bold('signature')}  ${decoded.signatureBytes} bytes (not shown)    ${style.bold('size')}  ${decoded.sizeBytes} bytes`);
    out.push(style.dim('A JWT is signed, not encrypted: anyone holding this token can read everything above.'));
    out.push('');
  }
  const v = report.verification;
  if (v === null) out.push(`${style.bold('signature')}: not verified (give --jwks URL|FILE or --secret-env NAME)`);
  else if (v.ok) out.push(`${style.bold('signature')}: ${style.green('verified')} with ${v.method} (alg ${v.alg}${v.kid ? `, kid ${v.kid}` : ''})`);
  else out.push(`${style.bold('signature')}: ${style.red('NOT verified')} with ${v.method}: ${v.reason}`);
  if (report.findings.length > 0) {
    out.push(style.bold(`findings (${report.findings.length})`));
    for (const f of report.findings) out.push(formatFinding(f, style));
  }
  const verdict =
    report.status === 'clean'
      ? style.green('clean')
      : report.status === 'findings'
        ? style.yellow(`${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}`)
        : style.red(`invalid: ${report.error ?? 'the signature does not verify'}`);
  out.push(`${style.bold('result')}: ${verdict}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

function printJson(report: Report): void {
  const { decoded } = report;
  const body = {
    status: report.status,
    ...(report.error !== undefined ? { error: report.error } : {}),
    ...(decoded
      ? {
          header: decoded.header,
          payload: redact(decoded.payload),
          signature: { bytes: decoded.signatureBytes, shown: false },
          size_bytes: decoded.sizeBytes,
        }
      : {}),
    verification: report.verification,
    findings: report.findings,
    note: 'A JWT is signed, not encrypted: anyone holding it can read its header and payload.',
  };
  process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
}

/** `tessera inspect`: decode, lint and optionally verify a JWT. */
export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'decode, lint and verify a JWT (what anyone holding it can read)',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommand('inspect', argv, FLAGS, { min: 1, max: 1, names: 'a token, or - to read it from stdin' });
    if (values.jwks !== undefined && values['secret-env'] !== undefined) {
      throw new UsageError('--jwks', 'give either --jwks or --secret-env, not both');
    }
    const source: KeySource | null =
      values.jwks !== undefined ? { kind: 'jwks', location: values.jwks } : values['secret-env'] !== undefined ? { kind: 'secret', envName: values['secret-env'] } : null;
    if (source?.kind === 'secret' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(source.envName)) {
      throw new UsageError('--secret-env', 'takes the NAME of an environment variable, not a secret');
    }
    const raw = positionals[0] === '-' ? await readStdin() : positionals[0]!;
    const nowSeconds = Date.now() / 1000;
    const decoded = decodeToken(raw);
    let report: Report;
    if (!decoded.ok) {
      report = { status: 'invalid', error: decoded.reason, verification: null, findings: [] };
    } else {
      const findings = lintToken(decoded.token, { nowSeconds, publicKeyExpected: source?.kind === 'jwks' });
      const verification = source === null ? null : await verifySignature(tokenText(raw), source);
      const status = verification && !verification.ok ? 'invalid' : findings.length > 0 ? 'findings' : 'clean';
      report = { status, decoded: decoded.token, verification, findings };
      if (verification && !verification.ok) report.error = `signature not verified: ${verification.reason}`;
    }
    if (values.json) printJson(report);
    else printText(report, nowSeconds);
    return report.status === 'clean' ? 0 : report.status === 'findings' ? 1 : 2;
  },
};
