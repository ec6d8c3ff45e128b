// Helpers for the deploy tests: a clean copy of the project to package in, a recorder standing in
// for every AWS endpoint, a small zip reader, and accessors for the CloudFormation template.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { offlinePackageEnv } from '../../dev/harness/deployed.ts';

export const projectDir = resolve(import.meta.dirname, '../..');

/** What a clean clone has: no node_modules (linked instead), dist, .serverless or VCS data. */
const notCopied = new Set(['node_modules', '.git', 'dist', '.serverless', 'coverage']);

/**
 * Copies the project to a fresh directory and links its node_modules, so that building and
 * packaging there neither races the other test files over dist/ nor leaves .serverless/ behind.
 */
export function cleanCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'perkamo-deploy-'));
  cpSync(projectDir, dir, {
    recursive: true,
    filter: (source) => {
      const rel = source.slice(projectDir.length + 1);
      return rel === '' || !notCopied.has(rel.split('/')[0]!);
    },
  });
  symlinkSync(join(projectDir, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

export interface RunResult {
  code: number;
  output: string;
}

export function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<RunResult> {
  return new Promise((done) => {
    execFile(command, args, { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, output: `${stdout}${stderr}` });
    });
  });
}

/**
 * A loopback HTTP server that answers every request with 500 and remembers it. With
 * AWS_ENDPOINT_URL pointing here, any AWS call osls made would land here (and fail the package).
 */
export async function awsRecorder(): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers['x-amz-target'] ?? ''}`.trim());
    req.resume();
    res.writeHead(500, { 'content-type': 'text/plain' }).end('offline: no AWS here');
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((closed) => server.close(() => closed())),
  };
}

/** Environment for osls: no real credentials, every AWS endpoint on the recorder, no IMDS. */
export { offlinePackageEnv as offlineEnv };

// ---------------------------------------------------------------------------------------------
// Zip reading (central directory): enough for osls's artifacts, which are plain deflate zips.

export interface ZipEntry {
  name: string;
  /** Unix permission bits from the external attributes. */
  mode: number;
  data: () => Buffer;
}

export function readZip(file: string): ZipEntry[] {
  const zip = readFileSync(file);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file}: not a zip (no end of central directory)`);
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${n}`);
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const external = zip.readUInt32LE(at + 38);
    const localOffset = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    entries.push({
      name,
      mode: (external >>> 16) & 0o7777,
      data: () => {
        if (zip.readUInt32LE(localOffset) !== 0x04034b50) throw new Error(`${file}: bad local header for ${name}`);
        const start = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
        const raw = zip.subarray(start, start + compressedSize);
        if (method === 0) return Buffer.from(raw);
        if (method === 8) return inflateRawSync(raw);
        throw new Error(`${file}: ${name} uses compression method ${method}`);
      },
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// The CloudFormation template.

// Template values are arbitrary JSON; `any` keeps the assertions readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Props = Record<string, any>;

export interface Resource {
  Type: string;
  Properties: Props;
  DependsOn?: string | string[];
  Condition?: string;
}

export interface Template {
  Resources: Record<string, Resource>;
  Outputs: Record<string, Props>;
}

export function readTemplate(packageDir: string): Template {
  return JSON.parse(readFileSync(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}

export function resourcesOfType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

export function resource(template: Template, logicalId: string, type?: string): Resource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`no resource ${logicalId} in the template`);
  if (type && found.Type !== type) throw new Error(`${logicalId} is a ${found.Type}, not a ${type}`);
  return found;
}

/** The logical id behind `{ Ref: X }` or `{ 'Fn::GetAtt': [X, …] }`. */
export function refOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Props;
  if (typeof v.Ref === 'string') return v.Ref;
  if (Array.isArray(v['Fn::GetAtt']) && typeof v['Fn::GetAtt'][0] === 'string') return v['Fn::GetAtt'][0];
  return undefined;
}

export const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Props;
}

export interface FoundStatement {
  /** Where it sits: `<logical id>/<policy name>`. */
  where: string;
  statement: Statement;
}

/** Every statement of every policy document in the template (roles, policies, queue and bucket policies). */
export function policyStatements(template: Template): FoundStatement[] {
  const found: FoundStatement[] = [];
  const collect = (where: string, document: Props | undefined) => {
    for (const statement of asArray(document?.Statement as Statement | Statement[] | undefined)) found.push({ where, statement });
  };
  for (const [id, res] of Object.entries(template.Resources)) {
    const p = res.Properties ?? {};
    if (res.Type === 'AWS::IAM::Role') {
      collect(`${id}/AssumeRolePolicyDocument`, p.AssumeRolePolicyDocument);
      for (const policy of asArray(p.Policies as Props[] | undefined)) collect(`${id}/${policy.PolicyName}`, policy.PolicyDocument);
    } else if (res.Type === 'AWS::IAM::Policy' || res.Type === 'AWS::IAM::ManagedPolicy') {
      collect(`${id}/${p.PolicyName ?? p.ManagedPolicyName ?? 'policy'}`, p.PolicyDocument);
    } else if (/^AWS::(SQS::QueuePolicy|S3::BucketPolicy|SNS::TopicPolicy)$/.test(res.Type)) {
      collect(id, p.PolicyDocument);
    }
  }
  return found;
}

/**
 * The statements in effect for a function: those of its role, of the stack's managed policies the
 * role attaches (ManagedPolicyArns), and of the policies attached to that role.
 */
export function functionStatements(template: Template, functionId: string): Statement[] {
  const roleId = refOf(resource(template, functionId, 'AWS::Lambda::Function').Properties.Role);
  if (!roleId) throw new Error(`${functionId} has no in-stack role`);
  const role = resource(template, roleId, 'AWS::IAM::Role');
  const statements: Statement[] = [];
  for (const policy of asArray(role.Properties.Policies as Props[] | undefined)) statements.push(...asArray(policy.PolicyDocument.Statement as Statement[]));
  for (const arn of asArray(role.Properties.ManagedPolicyArns as unknown[] | undefined)) {
    const policyId = refOf(arn);
    if (!policyId) throw new Error(`${roleId} attaches ${JSON.stringify(arn)}, not a policy of the stack`);
    statements.push(...asArray(resource(template, policyId, 'AWS::IAM::ManagedPolicy').Properties.PolicyDocument.Statement as Statement[]));
  }
  for (const [, res] of resourcesOfType(template, 'AWS::IAM::Policy')) {
    if (asArray(res.Properties.Roles as unknown[]).some((r) => refOf(r) === roleId)) {
      statements.push(...asArray(res.Properties.PolicyDocument.Statement as Statement[]));
    }
  }
  return statements;
}

export const actionsOf = (statement: Statement): string[] => asArray(statement.Action);

/**
 * A packaged template without what changes from one packaging of the same configuration to the
 * next: the artifacts' S3 folder (a timestamp) and the layer's content hash.
 */
export function stableTemplate(template: unknown): unknown {
  const text = JSON.stringify(template).replace(/(serverless\/[^/"]+\/[^/"]+\/)\d+-[^/"]+\//g, '$1<deployment>/');
  const stable = JSON.parse(text) as { Outputs?: Record<string, { Value?: unknown }> };
  if (stable.Outputs?.OtelLambdaLayerHash) stable.Outputs.OtelLambdaLayerHash.Value = '<layer hash>';
  return stable;
}
