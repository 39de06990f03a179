import { referencedId, resourcesOfType } from '../template';
import { PreflightCheck, PreflightFinding } from '../types';

/** Stable id of the "alarms notify nobody" warning (acknowledge it to deploy without a subscriber on purpose). */
export const NO_ALARM_SUBSCRIBER_WARNING = 'secure-rest-api:no-alarm-subscriber';

/** An alarm topic of the stack with no subscription: every alarm fires into the void. */
export const alarmSubscriber: PreflightCheck = {
  id: 'no-alarm-subscriber',
  description: 'Every SNS topic that alarms notify has a subscription in the stack (else the alarms notify nobody).',
  run: ({ template }) => {
    const subscribed = new Set([
      ...resourcesOfType(template, 'AWS::SNS::Subscription').map(([, s]) => referencedId(s.Properties?.TopicArn)),
      ...resourcesOfType(template, 'AWS::SNS::Topic').filter(([, t]) => ((t.Properties?.Subscription ?? []) as unknown[]).length > 0).map(([id]) => id),
    ]);
    const counts = new Map<string, number>();
    for (const [, alarm] of [...resourcesOfType(template, 'AWS::CloudWatch::Alarm'), ...resourcesOfType(template, 'AWS::CloudWatch::CompositeAlarm')]) {
      const actions = [...(alarm.Properties?.AlarmActions ?? []) as unknown[], ...(alarm.Properties?.OKActions ?? []) as unknown[]];
      for (const topic of new Set(actions.map(referencedId).filter((t): t is string => t !== undefined && template.Resources?.[t]?.Type === 'AWS::SNS::Topic'))) {
        counts.set(topic, (counts.get(topic) ?? 0) + 1);
      }
    }
    return [...counts].filter(([topic]) => !subscribed.has(topic)).map(([topic, n]): PreflightFinding => ({
      check: 'no-alarm-subscriber', level: 'warning', logicalId: topic, prop: 'alarms.alarmEmail',
      message: `${n} alarms notify topic ${topic}, which has no subscriber: they fire and nobody hears. Set \`alarms.alarmEmail\` (example: -c financialApi:alarmEmail=oncall@example.com), subscribe on-call tooling to \`alarmTopic\`, or acknowledge ${NO_ALARM_SUBSCRIBER_WARNING} to deploy without one on purpose.`,
    }));
  },
};
