import { packageVersion } from '../core/version.ts';

export const sdkVersion = packageVersion;
export const userAgent = `perkamo-lambda/${sdkVersion}`;
