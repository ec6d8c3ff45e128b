'use strict';
// CloudWatch alarms for serverless.yml (`resources: - ${file(./serverless/alarms.cjs)}`): what an
// operator must hear about, for every function serverless.yml declares and every queue:
//   - a dead-letter queue that is not empty (records that ran out of retries wait there);
//   - a queue whose oldest message is older than `alarmQueueAgeSeconds` (the functions fall behind,
//     or Perkamo keeps refusing: 429s send records back);
//   - a function's errors (an invocation that failed as a whole — not a record reported failed)
//     and throttles.
// `alarmTopicArn` (an SNS topic) receives them, alarm and recovery; without it the alarms exist
// and show in the console, notifying no one. Each alarm's description says what to do.

const TOPIC_ARN = /^arn:aws(?:-[a-z]+)*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

const { functionId } = require('./osls.cjs');

/**
 * The alarm parameters, checked with settings.cjs's readers, so that one refusal lists them with
 * every other bad parameter; the alarms below read the checked values (custom.perkamo.alarms).
 */
async function alarmSettings({ raw, int, problem }) {
  const topicArn = String(await raw('alarmTopicArn'));
  if (topicArn !== '' && !TOPIC_ARN.test(topicArn)) problem('alarmTopicArn', `${JSON.stringify(topicArn)} is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)`);
  const queueAgeSeconds = await int('alarmQueueAgeSeconds', 60, 1209600);
  return { topicArn, queueAgeSeconds };
}

module.exports = async ({ resolveVariable }) => {
  const { topicArn: topic, queueAgeSeconds: age } = await resolveVariable('self:custom.perkamo.alarms');
  const functions = Object.keys((await resolveVariable('self:functions')) ?? {});

  const actions = topic === '' ? {} : { AlarmActions: [topic], OKActions: [topic] };
  const alarm = (description, namespace, metric, dimension, statistic, threshold, periodSeconds = 60) => ({
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmDescription: description,
      Namespace: namespace,
      MetricName: metric,
      Dimensions: [dimension],
      Statistic: statistic,
      Period: periodSeconds,
      EvaluationPeriods: 1,
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      ...actions,
    },
  });
  const queue = (id) => ({ Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } });

  const resources = {};
  for (const [id, what] of [
    ['EventsDeadLetterQueue', 'events'],
    ['IdentifyDeadLetterQueue', 'identify'],
    ['EventBridgeDeadLetterQueue', 'EventBridge'],
  ]) {
    resources[`${id}NotEmptyAlarm`] = alarm(
      `perkamo-lambda: the ${what} dead-letter queue holds messages that ran out of retries. Read one: its reason names the field or the failure; fix it, then redrive (docs/deploy.md, Troubleshooting).`,
      'AWS/SQS', 'ApproximateNumberOfMessagesVisible', queue(id), 'Maximum', 1,
    );
  }
  for (const [id, what] of [['EventsQueue', 'events'], ['IdentifyQueue', 'identify']]) {
    resources[`${id}AgeAlarm`] = alarm(
      `perkamo-lambda: the oldest message of the ${what} queue waits ${age} s or more — the functions fall behind, or Perkamo refuses (429) or fails. Check the function's errors and logs, and the capacity settings (docs/deploy.md, Capacity).`,
      'AWS/SQS', 'ApproximateAgeOfOldestMessage', queue(id), 'Maximum', age,
    );
  }
  for (const name of functions) {
    const id = functionId(name);
    const dimension = { Name: 'FunctionName', Value: { Ref: id } };
    resources[`${id}ErrorsAlarm`] = alarm(
      `perkamo-lambda: ${name} failed invocations (an error or a timeout of the whole invocation, not a record reported failed). Its log group has the error, with the field or the fix.`,
      'AWS/Lambda', 'Errors', dimension, 'Sum', 1, 300,
    );
    resources[`${id}ThrottlesAlarm`] = alarm(
      `perkamo-lambda: ${name} was throttled (reserved or account concurrency reached). Raise reservedConcurrency or the account limit, or lower what feeds it.`,
      'AWS/Lambda', 'Throttles', dimension, 'Sum', 1, 300,
    );
  }
  return { Resources: resources };
};

module.exports.alarmSettings = alarmSettings;
