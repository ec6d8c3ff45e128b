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

const { functionId, normalizedName, refuse } = require('./osls.cjs');


module.exports = async ({ resolveVariable }) => {
  const param = async (name) => {
    const value = await resolveVariable(`param:${name}`);
    return value === null || value === undefined ? '' : String(value).trim();
  };
  const topic = await param('alarmTopicArn');
  if (topic !== '' && !TOPIC_ARN.test(topic)) refuse(`param "alarmTopicArn": ${JSON.stringify(topic)} is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)`);
  const ageRaw = await param('alarmQueueAgeSeconds');
  const age = Number(ageRaw);
  if (!/^\d{1,6}$/.test(ageRaw) || age < 60 || age > 1209600) refuse(`param "alarmQueueAgeSeconds": ${JSON.stringify(ageRaw)} is not a whole number of seconds from 60 to 1209600`);
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
