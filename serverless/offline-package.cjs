'use strict';
// Local osls plugin: lets `serverless package` run offline, with no AWS account.
//
// Why it exists. When serverless.yml declares a layer, osls's layer compiler (AwsCompileLayers)
// ends with `compareWithLastLayer`: it calls CloudFormation DescribeStacks to read the layer hash
// and S3 key that the last *deploy* left in the stack outputs, so that an unchanged layer reuses
// the S3 object it already uploaded instead of publishing a new layer version. With no network
// and no credentials that call fails, and `serverless package` fails with it — although a package
// does not need it: nothing is uploaded, the zips are the same, and the template differs at most
// in the layer's S3 key (the new upload's instead of the previous deploy's).
//
// What it does. For the `package` command only, it replaces that comparison with the answer osls
// itself takes when the stack does not exist yet: keep the freshly computed layer S3 key. Nothing
// else changes. `serverless deploy` (which runs the package lifecycle under the `deploy` command)
// is untouched and still compares, so an unchanged layer is not republished on a deploy.
// (`serverless deploy --package .serverless` uploads the layer of that package again and
// publishes a new layer version; harmless.) Where the method is not found (a future osls, or
// another CLI such as Serverless v4), it only warns: packaging then works as that CLI does.
// test/deploy checks that `npm run package` sends no request to any AWS endpoint.

class OfflinePackage {
  constructor(serverless, _options, utils) {
    this.serverless = serverless;
    this.log = utils?.log;
    this.hooks = {
      'before:package:compileLayers': () => this.skipLayerComparison(),
    };
  }

  skipLayerComparison() {
    const commands = this.serverless.processedInput?.commands ?? [];
    if (commands.length !== 1 || commands[0] !== 'package') return;
    const compiler = this.serverless.pluginManager.plugins.find((plugin) => plugin.constructor?.name === 'AwsCompileLayers');
    if (!compiler || typeof compiler.compareWithLastLayer !== 'function') {
      const warning =
        'serverless/offline-package.cjs: this CLI has no AwsCompileLayers.compareWithLastLayer; `package` may call CloudFormation DescribeStacks for the layer';
      if (this.log?.warning) this.log.warning(warning);
      else console.warn(warning);
      return;
    }
    // Same outcome as DescribeStacks answering "Stack does not exist".
    compiler.compareWithLastLayer = async () => undefined;
  }
}

module.exports = OfflinePackage;
