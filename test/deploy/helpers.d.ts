import { offlinePackageEnv } from '../../src/local/harness/deployed.ts';
export declare const projectDir: string;
/**
 * Copies the project to a fresh directory and links its node_modules, so that building and
 * packaging there neither races the other test files over dist/ nor leaves .serverless/ behind.
 */
export declare function cleanCopy(): string;
export interface RunResult {
    code: number;
    output: string;
}
export declare function run(command: string, args: string[], options: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    timeoutMs: number;
}): Promise<RunResult>;
/**
 * A loopback HTTP server that answers every request with 500 and remembers it. With
 * AWS_ENDPOINT_URL pointing here, any AWS call osls made would land here (and fail the package).
 */
export declare function awsRecorder(): Promise<{
    url: string;
    requests: string[];
    close: () => Promise<void>;
}>;
/** Environment for osls: no real credentials, every AWS endpoint on the recorder, no IMDS. */
export { offlinePackageEnv as offlineEnv };
export interface ZipEntry {
    name: string;
    /** Unix permission bits from the external attributes. */
    mode: number;
    data: () => Buffer;
}
export declare function readZip(file: string): ZipEntry[];
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
export declare function readTemplate(packageDir: string): Template;
export declare function resourcesOfType(template: Template, type: string): [string, Resource][];
export declare function resource(template: Template, logicalId: string, type?: string): Resource;
/** The logical id behind `{ Ref: X }` or `{ 'Fn::GetAtt': [X, …] }`. */
export declare function refOf(value: unknown): string | undefined;
export declare const asArray: <T>(value: T | T[] | undefined) => T[];
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
export declare function policyStatements(template: Template): FoundStatement[];
/** The statements in effect for a function: those of its role, plus policies attached to that role. */
export declare function functionStatements(template: Template, functionId: string): Statement[];
export declare const actionsOf: (statement: Statement) => string[];
