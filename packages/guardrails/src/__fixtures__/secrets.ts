// True-positive and false-positive fixtures for every secrets rule. Values are synthetic: built from a
// seeded generator in the right alphabet and length, never real credentials.

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = UPPER + LOWER + DIGITS;
const HEX = '0123456789abcdef';
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const B64 = `${ALNUM}+/`;
const URLSAFE = `${ALNUM}_-`;

/** Deterministic pseudo-random string (xorshift), so fixtures are stable and high-entropy. */
export function gen(alphabet: string, length: number, seed: number): string {
  let state = (seed * 2654435761) >>> 0 || 1;
  let out = '';
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out += alphabet[state % alphabet.length];
  }
  return out;
}

const uuid = (seed: number): string =>
  `${gen(HEX, 8, seed)}-${gen(HEX, 4, seed + 1)}-${gen(HEX, 4, seed + 2)}-${gen(HEX, 4, seed + 3)}-${gen(HEX, 12, seed + 4)}`;

export interface SecretFixture {
  readonly tp: readonly string[];
  readonly fp: readonly string[];
}

export const secretFixtures: Readonly<Record<string, SecretFixture>> = {
  'aws-access-key-id': {
    tp: [`aws_access_key_id = AKIA${gen(B32, 16, 1)}`, `"ASIA${gen(B32, 16, 2)}"`],
    fp: ['AKIAIOSFODNN7EXAMPLE', `AKIA${gen(B32, 12, 3)} is too short`, 'travel to Asia next week'],
  },
  'aws-secret-access-key': {
    tp: [`aws_secret_access_key = ${gen(B64, 40, 4)}`, `AWS_SECRET_ACCESS_KEY="${gen(B64, 40, 5)}"`],
    fp: ['aws_secret_access_key = ${AWS_SECRET}', `aws_secret_access_key = ${gen(B64, 30, 6)}`],
  },
  'gcp-api-key': { tp: [`key=AIza${gen(URLSAFE, 35, 7)}`], fp: [`AIza${gen(URLSAFE, 20, 8)}`, 'AIzaEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMP'] },
  'gcp-service-account': {
    tp: ['{ "type": "service_account", "project_id": "demo" }'],
    fp: ['{ "type": "user_account" }', 'service_account is a concept'],
  },
  'gcp-oauth-token': { tp: [`Authorization: ya29.${gen(URLSAFE, 60, 9)}`], fp: ['ya29.short', 'version ya29 release'] },
  'azure-storage-key': {
    tp: [`DefaultEndpointsProtocol=https;AccountName=demo;AccountKey=${gen(B64, 86, 10)}==;EndpointSuffix=core.windows.net`],
    fp: ['AccountKey=<your-account-key>', `AccountKey=${gen(B64, 40, 11)}==`],
  },
  'azure-shared-access-key': {
    tp: [`Endpoint=sb://demo.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=${gen(B64, 43, 12)}=`],
    fp: ['SharedAccessKey=${SAS_KEY}', 'SharedAccessKeyName=RootManageSharedAccessKey'],
  },
  'azure-ad-client-secret': {
    tp: [`client_secret: ${gen(ALNUM, 3, 13)}8Q~${gen(URLSAFE, 34, 14)}`],
    fp: ['Q~ is not a secret', `abc8Q~${gen(ALNUM, 10, 15)}`],
  },
  'alibaba-access-key-id': { tp: [`LTAI${gen(ALNUM, 20, 16)}`], fp: ['LTAI is a prefix', `LTAI${gen(ALNUM, 8, 17)}`] },
  'digitalocean-token': {
    tp: [`dop_v1_${gen(HEX, 64, 18)}`, `doo_v1_${gen(HEX, 64, 19)}`],
    fp: [`dop_v1_${gen(HEX, 40, 20)}`, 'dop_v1_ token format'],
  },
  'databricks-token': { tp: [`dapi${gen(HEX, 32, 21)}`], fp: ['dapi is a word', `dapi${gen(HEX, 20, 22)}`] },
  'hashicorp-vault-token': { tp: [`VAULT_TOKEN=hvs.${gen(URLSAFE, 95, 23)}`], fp: ['hvs.short', `hvs.${gen(URLSAFE, 40, 24)}`] },
  'doppler-token': { tp: [`dp.pt.${gen(ALNUM, 43, 25)}`], fp: ['dp.pt.short', `dp.pt.${gen(ALNUM, 30, 26)}`] },
  'heroku-api-key': { tp: [`HEROKU_API_KEY=${uuid(27)}`], fp: [`order id ${uuid(28)}`, 'heroku_api_key=<your key>'] },
  'github-pat': { tp: [`token ghp_${gen(ALNUM, 36, 29)}`], fp: [`ghp_${gen(ALNUM, 20, 30)}`, 'ghp_ is the prefix of classic tokens'] },
  'github-oauth-token': { tp: [`gho_${gen(ALNUM, 36, 31)}`], fp: [`gho_${gen(ALNUM, 35, 32)}`] },
  'github-app-token': { tp: [`ghs_${gen(ALNUM, 36, 33)}`, `ghu_${gen(ALNUM, 36, 34)}`], fp: [`ghx_${gen(ALNUM, 36, 35)}`] },
  'github-refresh-token': { tp: [`ghr_${gen(ALNUM, 36, 36)}`], fp: [`ghr_${gen(ALNUM, 10, 37)}`] },
  'github-fine-grained-pat': {
    tp: [`github_pat_${gen(ALNUM, 22, 38)}_${gen(ALNUM, 59, 39)}`],
    fp: [`github_pat_${gen(ALNUM, 22, 40)}`, 'github_pat_ prefix'],
  },
  'gitlab-pat': { tp: [`glpat-${gen(URLSAFE, 20, 41)}`], fp: [`glpat-${gen(URLSAFE, 12, 42)}`] },
  'gitlab-runner-token': { tp: [`glrt-${gen(URLSAFE, 20, 43)}`, `gldt-${gen(URLSAFE, 24, 44)}`], fp: ['glrt-short'] },
  'bitbucket-app-password': { tp: [`ATBB${gen(ALNUM, 32, 45)}`], fp: [`ATBB${gen(ALNUM, 20, 46)}`] },
  'atlassian-api-token': { tp: [`ATATT3${gen(URLSAFE, 186, 47)}`], fp: [`ATATT3${gen(URLSAFE, 50, 48)}`] },
  'npm-token': {
    tp: [`//registry.npmjs.org/:_authToken=npm_${gen(ALNUM, 36, 49)}`],
    fp: ['npm_config_cache=/tmp', `npm_${gen(ALNUM, 20, 50)}`],
  },
  'pypi-token': { tp: [`pypi-AgEIcHlwaS5vcmc${gen(URLSAFE, 70, 51)}`], fp: ['pypi-AgEIcHlwaS5vcmc', 'pypi-server'] },
  'slack-bot-token': {
    tp: [`xoxb-${gen(DIGITS, 12, 52)}-${gen(DIGITS, 13, 53)}-${gen(ALNUM, 24, 54)}`],
    fp: ['xoxb-123-456-abc', 'xoxb- tokens are for bots'],
  },
  'slack-user-token': {
    tp: [`xoxp-${gen(DIGITS, 12, 55)}-${gen(DIGITS, 12, 56)}-${gen(DIGITS, 13, 57)}-${gen(HEX, 32, 58)}`],
    fp: [`xoxp-${gen(DIGITS, 12, 59)}-${gen(HEX, 32, 60)}`],
  },
  'slack-app-token': { tp: [`xapp-1-A${gen(UPPER + DIGITS, 10, 61)}-${gen(DIGITS, 13, 62)}-${gen(HEX, 64, 63)}`], fp: ['xapp-1-short'] },
  'slack-webhook': {
    tp: [`https://hooks.slack.com/services/T${gen(UPPER + DIGITS, 10, 64)}/B${gen(UPPER + DIGITS, 10, 65)}/${gen(ALNUM, 24, 66)}`],
    fp: ['https://hooks.slack.com/services/T000/B000/XXXX', 'see hooks.slack.com docs'],
  },
  'discord-webhook': {
    tp: [`https://discord.com/api/webhooks/${gen(DIGITS, 18, 67)}/${gen(URLSAFE, 68, 68)}`],
    fp: ['https://discord.com/api/webhooks/123/abc', 'join our discord'],
  },
  'telegram-bot-token': { tp: [`${gen('123456789', 9, 69)}:AA${gen(URLSAFE, 33, 70)}`], fp: ['12:AAbc', `time 10:AA${gen(ALNUM, 5, 71)}`] },
  'twilio-api-key': { tp: [`SK${gen(HEX, 32, 72)}`], fp: [`SK${gen(HEX, 20, 73)}`, 'ask the desk'] },
  'twilio-auth-token': {
    tp: [`TWILIO_AUTH_TOKEN=${gen(HEX, 32, 74)}`],
    fp: ['twilio_auth_token=${TWILIO_TOKEN}', `twilio sid ${gen(HEX, 32, 75)}`],
  },
  'sendgrid-api-key': { tp: [`SG.${gen(URLSAFE, 22, 76)}.${gen(URLSAFE, 43, 77)}`], fp: ['SG.short.value', 'e.g. SG. is the prefix'] },
  'mailgun-api-key': { tp: [`key-${gen(HEX, 32, 78)}`], fp: ['key-value store', `key-${gen(HEX, 16, 79)}`] },
  'mailchimp-api-key': { tp: [`${gen(HEX, 32, 80)}-us21`], fp: ['plug-us in', `${gen(HEX, 20, 81)}-us2`] },
  'brevo-api-key': { tp: [`xkeysib-${gen(HEX, 64, 82)}-${gen(ALNUM, 16, 83)}`], fp: ['xkeysib-short'] },
  'hubspot-private-app-token': { tp: [`pat-na1-${uuid(84)}`], fp: ['pat-na1-123', `pat-xx1-${uuid(85)}`] },
  'linear-api-key': { tp: [`lin_api_${gen(ALNUM, 40, 86)}`], fp: ['lin_api_short'] },
  'figma-token': { tp: [`figd_${gen(URLSAFE, 40, 87)}`], fp: ['figd_short'] },
  'postman-api-key': { tp: [`PMAK-${gen(HEX, 24, 88)}-${gen(HEX, 34, 89)}`], fp: ['PMAK-123-456'] },
  'grafana-service-account-token': { tp: [`glsa_${gen(ALNUM, 32, 90)}_${gen(HEX, 8, 91)}`], fp: [`glsa_${gen(ALNUM, 32, 92)}`] },
  'newrelic-user-key': { tp: [`NRAK-${gen(UPPER + DIGITS, 27, 93)}`], fp: ['NRAK-SHORT'] },
  'datadog-api-key': {
    tp: [`DD_API_KEY=${gen(HEX, 32, 94)}`, `datadog_api_key: "${gen(HEX, 32, 95)}"`],
    fp: ['DD_API_KEY=<key>', `datadog trace ${gen(HEX, 32, 96)}`],
  },
  'sentry-dsn': {
    tp: [`https://${gen(HEX, 32, 97)}@o123456.ingest.sentry.io/4505`],
    fp: ['https://sentry.io/welcome/', 'https://public@sentry.example.com/1'],
  },
  'shopify-token': { tp: [`shpat_${gen(HEX, 32, 98)}`, `shpss_${gen(HEX, 32, 99)}`], fp: ['shpat_short'] },
  'facebook-access-token': { tp: [`EAA${gen(ALNUM, 150, 100)}`], fp: [`EAA${gen(ALNUM, 40, 101)}`, 'the EAA regulation'] },
  'twitter-bearer-token': { tp: [`${'A'.repeat(22)}${gen(`${ALNUM}%`, 60, 103)}`], fp: ['AAAAAAAAAAAAAAAAAAAAAA short'] },
  'onepassword-service-token': { tp: [`ops_eyJ${gen(URLSAFE, 200, 104)}`], fp: ['ops_eyJhbGci'] },
  'age-secret-key': { tp: [`AGE-SECRET-KEY-1${gen('QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 58, 105)}`], fp: ['AGE-SECRET-KEY-1 is the prefix'] },
  'stripe-secret-key': {
    tp: [`sk_live_${gen(ALNUM, 24, 106)}`, `rk_live_${gen(ALNUM, 99, 107)}`],
    fp: [`sk_test_${gen(ALNUM, 24, 108)}`, `pk_live_${gen(ALNUM, 24, 109)}`],
  },
  'stripe-webhook-secret': { tp: [`whsec_${gen(ALNUM, 32, 110)}`], fp: ['whsec_short'] },
  'square-token': { tp: [`sq0atp-${gen(URLSAFE, 22, 111)}`, `sq0csp-${gen(URLSAFE, 43, 112)}`], fp: ['sq0atp-short'] },
  'braintree-access-token': {
    tp: [`access_token$production$${gen(LOWER + DIGITS, 16, 113)}$${gen(HEX, 32, 114)}`],
    fp: ['access_token$sandbox$abc$def'],
  },
  'openai-api-key': {
    tp: [`OPENAI_API_KEY=sk-proj-${gen(URLSAFE, 120, 115)}`, `sk-svcacct-${gen(URLSAFE, 60, 116)}`],
    fp: ['sk-proj-short', 'sk-project planning'],
  },
  'openai-legacy-key': { tp: [`sk-${gen(ALNUM, 20, 117)}T3BlbkFJ${gen(ALNUM, 20, 118)}`], fp: [`sk-${gen(ALNUM, 48, 119)}`] },
  'anthropic-api-key': { tp: [`sk-ant-api03-${gen(URLSAFE, 95, 120)}`], fp: ['sk-ant-api03-short', 'sk-ant- prefix'] },
  'huggingface-token': { tp: [`hf_${gen(UPPER + LOWER, 34, 121)}`], fp: ['hf_hub_download', `hf_${gen(UPPER + LOWER, 20, 122)}`] },
  'groq-api-key': { tp: [`gsk_${gen(ALNUM, 52, 123)}`], fp: ['gsk_short'] },
  'xai-api-key': { tp: [`xai-${gen(ALNUM, 80, 124)}`], fp: ['xai-short', 'xai-grok model'] },
  'perplexity-api-key': { tp: [`pplx-${gen(ALNUM, 48, 125)}`], fp: ['pplx-short'] },
  'replicate-api-token': { tp: [`r8_${gen(ALNUM, 37, 126)}`], fp: ['r8_short'] },
  'private-key': {
    tp: ['-----BEGIN RSA PRIVATE KEY-----\nMIIEow...', '-----BEGIN OPENSSH PRIVATE KEY-----', '-----BEGIN PRIVATE KEY-----'],
    fp: ['-----BEGIN PUBLIC KEY-----', '-----BEGIN CERTIFICATE-----'],
  },
  jwt: {
    tp: [`eyJ${gen(URLSAFE, 30, 127)}.eyJ${gen(URLSAFE, 60, 128)}.${gen(URLSAFE, 43, 129)}`],
    fp: ['eyJhbGciOiJIUzI1NiJ9', 'eyJ.eyJ.sig'],
  },
  'connection-string': {
    tp: [
      `DATABASE_URL=postgres://app:${gen(ALNUM, 16, 130)}@db.internal:5432/orders`,
      `mongodb+srv://svc:${gen(ALNUM, 20, 131)}@cluster0.mongodb.net/db`,
    ],
    fp: ['postgres://app:${DB_PASSWORD}@db:5432/orders', 'postgres://localhost:5432/orders', 'mysql://user:***@host/db'],
  },
  'url-credentials': {
    tp: [`https://deploy:${gen(ALNUM, 18, 132)}@git.example.net/repo.git`],
    fp: ['https://user:pass@host', 'https://example.com:8443/path', 'https://user@example.com'],
  },
  'generic-password': {
    tp: [`password = "${gen(`${ALNUM}!#%&`, 18, 133)}"`, `DB_PASSWD: ${gen(ALNUM, 14, 134)}`],
    fp: ['password = "changeme"', 'password: ${DB_PASSWORD}', 'password=aaaaaaaaaaaa', 'forgot your password? reset it here'],
  },
  'generic-api-key': {
    tp: [`api_key = "${gen(ALNUM, 32, 135)}"`, `client_secret: ${gen(URLSAFE, 40, 136)}`],
    fp: ['api_key = "YOUR_API_KEY_HERE"', 'api_key = process.env.API_KEY', 'secret: 1111111111111111111', 'keep the api key secret'],
  },
  'bearer-token': {
    tp: [`Authorization: Bearer ${gen(URLSAFE, 40, 137)}`],
    fp: ['Authorization: Bearer <token>', 'the bearer of bad news', 'Bearer aaaaaaaaaaaaaaaaaaaaaaaa'],
  },
};
