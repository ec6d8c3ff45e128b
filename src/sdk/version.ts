/** Kept equal to package.json's version by test/sdk/version.test.ts; sent in `user-agent`. */
export const sdkVersion = '0.1.0';
export const userAgent = `perkamo-lambda/${sdkVersion}`;
