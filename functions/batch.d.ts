export declare const handler: import("@middy/core").MiddyfiedHandler<any, any, Error, import("aws-lambda").Context, import("../src/lambda/request.ts").PerkamoInternal>;
