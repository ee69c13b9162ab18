import type { Profile } from '../types';
import { bitbucketProfile } from './bitbucket';
import { customProfile } from './custom';
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

/**
 * Profiles a webhook may name that verify no signature themselves (`custom`: conditions only).
 * Kept out of `profiles`, the catalogue of signing schemes that the conformance tests and the
 * bench iterate over.
 */
export const conditionOnlyProfiles: readonly Profile[] = [customProfile];

const byName = new Map([...profiles, ...conditionOnlyProfiles].map((profile) => [profile.name, profile]));

/** Every built-in profile name, in documentation order. */
export const profileNames: readonly string[] = profiles.map((profile) => profile.name);

/** Every name `spec.profile` accepts: the signing profiles, then `custom`. */
export const webhookProfileNames: readonly string[] = [
  ...profileNames,
  ...conditionOnlyProfiles.map((profile) => profile.name),
];

/** The built-in profile called `name`, or undefined (a Webhook resource names it in `spec.profile`). */
export function getProfile(name: string): Profile | undefined {
  return byName.get(name);
}

export {
  bitbucketProfile,
  customProfile,
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
