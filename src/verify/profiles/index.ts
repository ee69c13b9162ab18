import type { Profile } from '../types';
import { bitbucketProfile } from './bitbucket';
import { discordProfile } from './discord';
import { genericProfile } from './generic';
import { githubProfile } from './github';
import { gitlabProfile } from './gitlab';
import { linearProfile } from './linear';
import { msteamsProfile } from './msteams';
import { pagerdutyProfile } from './pagerduty';
import { sendgridProfile } from './sendgrid';
import { shopifyProfile } from './shopify';
import { slackProfile } from './slack';
import { standardWebhooksProfile } from './standard-webhooks';
import { stripeProfile } from './stripe';
import { twilioProfile } from './twilio';
import { zoomProfile } from './zoom';

/** Every built-in profile, in documentation order. */
export const profiles: readonly Profile[] = [
  genericProfile,
  githubProfile,
  stripeProfile,
  slackProfile,
  msteamsProfile,
  sendgridProfile,
  standardWebhooksProfile,
  gitlabProfile,
  shopifyProfile,
  twilioProfile,
  zoomProfile,
  discordProfile,
  linearProfile,
  pagerdutyProfile,
  bitbucketProfile,
];

const byName = new Map(profiles.map((profile) => [profile.name, profile]));

/** Every built-in profile name, in documentation order. */
export const profileNames: readonly string[] = profiles.map((profile) => profile.name);

/** The built-in profile called `name`, or undefined (a Webhook resource names it in `spec.profile`). */
export function getProfile(name: string): Profile | undefined {
  return byName.get(name);
}

export {
  bitbucketProfile,
  discordProfile,
  genericProfile,
  githubProfile,
  gitlabProfile,
  linearProfile,
  msteamsProfile,
  pagerdutyProfile,
  sendgridProfile,
  shopifyProfile,
  slackProfile,
  standardWebhooksProfile,
  stripeProfile,
  twilioProfile,
  zoomProfile,
};
export { withTwilioBodyHash } from './twilio';
