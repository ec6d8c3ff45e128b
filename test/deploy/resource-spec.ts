// Checks a CloudFormation template against AWS's own resource specification — the database the
// AWS CDK is generated from (@aws-cdk/aws-service-spec): every resource type exists, every property
// name exists on it (or on the nested type it sits in), every value has the property's type and,
// where the schema lists the values allowed (an enum: ScalingMode, Architectures…), is one of them,
// and no required property is missing. Intrinsic functions (Ref, Fn::*) stand for any value.
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { PropertyType, ResourceProperties, TypeDefinition } from '@aws-cdk/service-spec-types';

type Json = unknown;

let db: ReturnType<typeof loadAwsServiceSpecSync> | undefined;
const spec = () => (db ??= loadAwsServiceSpecSync());

const RESOURCE_KEYS = new Set(['Type', 'Properties', 'DependsOn', 'Condition', 'DeletionPolicy', 'UpdateReplacePolicy', 'Metadata', 'UpdatePolicy', 'CreationPolicy']);

const isIntrinsic = (value: Json): boolean => {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::') || keys[0] === 'Condition');
};
const isObject = (value: Json): value is Record<string, Json> => !!value && typeof value === 'object' && !Array.isArray(value);

/** Every problem of `template` against the specification, one line each ('' problems: valid). */
export function specProblems(template: { Resources: Record<string, object> }): string[] {
  const problems: string[] = [];
  for (const [id, resource] of Object.entries(template.Resources as Record<string, Record<string, Json>>)) {
    for (const key of Object.keys(resource)) if (!RESOURCE_KEYS.has(key)) problems.push(`${id}: "${key}" is not a resource attribute`);
    const type = resource.Type as string;
    const found = spec().lookup('resource', 'cloudFormationType', 'equals', type);
    if (found.length !== 1) {
      problems.push(`${id}: ${type} is not a CloudFormation resource type`);
      continue;
    }
    checkProperties(`${id} (${type})`, found[0]!.properties, (resource.Properties ?? {}) as Json, problems);
  }
  return problems;
}

function checkProperties(where: string, properties: ResourceProperties, value: Json, problems: string[]): void {
  if (isIntrinsic(value)) return;
  if (!isObject(value)) {
    problems.push(`${where}: expected an object of properties, got ${JSON.stringify(value)}`);
    return;
  }
  for (const [name, property] of Object.entries(properties)) {
    if (property.required && !(name in value)) problems.push(`${where}: required property ${name} is missing`);
  }
  for (const [name, item] of Object.entries(value)) {
    const property = properties[name];
    if (!property) problems.push(`${where}: ${name} is not a property of it`);
    else checkType(`${where}.${name}`, property.type, item, problems);
  }
}

function checkType(where: string, type: PropertyType, value: Json, problems: string[]): void {
  if (isIntrinsic(value)) return;
  const wrong = (what: string) => problems.push(`${where}: expected ${what}, got ${JSON.stringify(value)?.slice(0, 80)}`);
  switch (type.type) {
    case 'string':
      if (typeof value !== 'string' && typeof value !== 'number') wrong('a string');
      else if (type.allowedValues && !type.allowedValues.includes(String(value))) wrong(`one of ${type.allowedValues.join(', ')}`);
      return;
    case 'date-time':
      if (typeof value !== 'string' && typeof value !== 'number') wrong('a string');
      return;
    case 'number':
    case 'integer':
      if (typeof value !== 'number' && !(typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))) wrong(`a ${type.type}`);
      else if (type.type === 'integer' && !Number.isInteger(Number(value))) wrong('an integer');
      else if (type.type === 'integer' && type.allowedValues && !type.allowedValues.includes(Number(value))) wrong(`one of ${type.allowedValues.join(', ')}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean' && value !== 'true' && value !== 'false') wrong('a boolean');
      return;
    case 'json':
      return;
    case 'null':
      if (value !== null) wrong('null');
      return;
    case 'tag':
      if (!isObject(value) || !('Key' in value) || !('Value' in value)) wrong('a tag { Key, Value }');
      return;
    case 'array':
      if (!Array.isArray(value)) wrong('an array');
      else value.forEach((element, i) => checkType(`${where}[${i}]`, type.element, element, problems));
      return;
    case 'map':
      if (!isObject(value)) wrong('a map');
      else for (const [key, element] of Object.entries(value)) checkType(`${where}.${key}`, type.element, element, problems);
      return;
    case 'ref': {
      const definition = spec().get('typeDefinition', type.reference.$ref) as TypeDefinition;
      checkProperties(`${where} (${definition.name})`, definition.properties, value, problems);
      return;
    }
    case 'union': {
      // Valid when one of the alternatives takes it.
      const attempts = type.types.map((alternative) => {
        const found: string[] = [];
        checkType(where, alternative, value, found);
        return found;
      });
      if (!attempts.some((found) => found.length === 0)) problems.push(...attempts.sort((a, b) => a.length - b.length)[0]!);
      return;
    }
  }
}
