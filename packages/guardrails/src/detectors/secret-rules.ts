import type { Severity } from '../types.js';

/**
 * One credential rule, as data. `regex` is global and linear-time (fixed prefix or keyword first,
 * bounded repeats); `keywords` are lower-case strings one of which occurs in any text the regex can
 * match, so callers may skip the regex when none is present. Clone the regex (`new RegExp(rule.regex)`)
 * before using it: a global regex carries `lastIndex` state.
 */
export interface SecretRule {
  readonly id: string;
  readonly description: string;
  readonly severity: Severity;
  readonly regex: RegExp;
  readonly keywords: readonly string[];
  /** Capture group holding the secret value (0 = whole match). */
  readonly secretGroup?: number;
  /** Generic assignment rules: the value must reach the entropy threshold. */
  readonly generic?: boolean;
}

const rule = (
  id: string,
  description: string,
  severity: Severity,
  regex: RegExp,
  keywords: readonly string[],
  extra: Partial<Pick<SecretRule, 'secretGroup' | 'generic'>> = {},
): SecretRule => Object.freeze({ id, description, severity, regex, keywords: Object.freeze([...keywords]), ...extra });

/** The built-in credential rules (used by the engine and by `@charter/eslint-plugin`'s no-hardcoded-secrets). */
export const secretRules: readonly SecretRule[] = Object.freeze([
  // Cloud providers
  rule('aws-access-key-id', 'AWS access key id', 'high', /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b/g, ['akia', 'asia', 'abia', 'acca']),
  rule(
    'aws-secret-access-key',
    'AWS secret access key assigned to aws_secret_access_key',
    'critical',
    /\baws_?secret_?access_?key["']?\s{0,4}[:=]\s{0,4}["']?([a-z0-9/+]{40})(?![a-z0-9/+])/gi,
    ['aws_secret', 'awssecret'],
    { secretGroup: 1 },
  ),
  rule('gcp-api-key', 'Google Cloud / Gemini API key', 'high', /\bAIza[\w-]{35}(?![\w-])/g, ['aiza']),
  rule('gcp-service-account', 'Google Cloud service-account key file', 'critical', /"type"\s{0,4}:\s{0,4}"service_account"/g, [
    'service_account',
  ]),
  rule('gcp-oauth-token', 'Google OAuth access token', 'high', /\bya29\.[\w-]{20,256}/g, ['ya29.']),
  rule('azure-storage-key', 'Azure storage account key in a connection string', 'critical', /AccountKey=[A-Za-z0-9+/]{86}==/g, [
    'accountkey=',
  ]),
  rule(
    'azure-shared-access-key',
    'Azure Service Bus / Event Hubs shared access key',
    'critical',
    /SharedAccessKey=[A-Za-z0-9+/]{42,44}=/g,
    ['sharedaccesskey='],
  ),
  rule('azure-ad-client-secret', 'Microsoft Entra ID client secret', 'high', /(?<![\w~.-])[\w~.]{3}\dQ~[\w~.-]{31,34}(?![\w~.-])/g, ['q~']),
  rule('alibaba-access-key-id', 'Alibaba Cloud access key id', 'high', /\bLTAI[A-Za-z0-9]{12,20}\b/g, ['ltai']),
  rule('digitalocean-token', 'DigitalOcean personal access or OAuth token', 'high', /\bdo[opr]_v1_[a-f0-9]{64}\b/g, [
    'dop_v1_',
    'doo_v1_',
    'dor_v1_',
  ]),
  rule('databricks-token', 'Databricks personal access token', 'high', /\bdapi[a-f0-9]{32}(?:-\d)?\b/g, ['dapi']),
  rule('hashicorp-vault-token', 'HashiCorp Vault service token', 'critical', /\bhvs\.[\w-]{90,120}\b/g, ['hvs.']),
  rule('doppler-token', 'Doppler personal token', 'high', /\bdp\.pt\.[A-Za-z0-9]{43}\b/g, ['dp.pt.']),
  rule(
    'heroku-api-key',
    'Heroku API key',
    'high',
    /\bheroku_?api_?key["']?\s{0,4}[:=]\s{0,4}["']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b/gi,
    ['heroku'],
    { secretGroup: 1 },
  ),
  // Source hosting and package registries
  rule('github-pat', 'GitHub personal access token (classic)', 'critical', /\bghp_[A-Za-z0-9]{36}\b/g, ['ghp_']),
  rule('github-oauth-token', 'GitHub OAuth access token', 'critical', /\bgho_[A-Za-z0-9]{36}\b/g, ['gho_']),
  rule('github-app-token', 'GitHub App user or installation token', 'critical', /\bgh[us]_[A-Za-z0-9]{36}\b/g, ['ghu_', 'ghs_']),
  rule('github-refresh-token', 'GitHub refresh token', 'critical', /\bghr_[A-Za-z0-9]{36}\b/g, ['ghr_']),
  rule(
    'github-fine-grained-pat',
    'GitHub fine-grained personal access token',
    'critical',
    /\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b/g,
    ['github_pat_'],
  ),
  rule('gitlab-pat', 'GitLab personal access token', 'critical', /\bglpat-[\w-]{20}(?![\w-])/g, ['glpat-']),
  rule('gitlab-runner-token', 'GitLab runner or deploy token', 'high', /(?<![\w-])gl(?:rt|dt)-[\w-]{20,64}/g, ['glrt-', 'gldt-']),
  rule('bitbucket-app-password', 'Bitbucket app password', 'high', /\bATBB[A-Za-z0-9]{32}(?:[A-F0-9]{8})?\b/g, ['atbb']),
  rule('atlassian-api-token', 'Atlassian API token', 'high', /\bATATT3[\w=-]{180,200}(?![\w=-])/g, ['atatt3']),
  rule('npm-token', 'npm access token', 'critical', /\bnpm_[A-Za-z0-9]{36}\b/g, ['npm_']),
  rule('pypi-token', 'PyPI upload token', 'critical', /\bpypi-AgEIcHlwaS5vcmc[\w-]{50,200}(?![\w-])/g, ['pypi-']),
  // Chat, SaaS and observability
  rule('slack-bot-token', 'Slack bot token', 'high', /\bxoxb-\d{10,13}-\d{10,13}-[A-Za-z0-9]{24}\b/g, ['xoxb-']),
  rule('slack-user-token', 'Slack user or configuration token', 'high', /\bxox[pe]-\d{10,13}-\d{10,13}-\d{10,13}-[a-f0-9]{32}\b/g, [
    'xoxp-',
    'xoxe-',
  ]),
  rule('slack-app-token', 'Slack app-level token', 'high', /\bxapp-\d-[A-Z0-9]{9,12}-\d{10,14}-[a-f0-9]{64}\b/g, ['xapp-']),
  rule(
    'slack-webhook',
    'Slack incoming webhook URL',
    'high',
    /hooks\.slack\.com\/services\/T[A-Z0-9]{8,12}\/B[A-Z0-9]{8,12}\/[A-Za-z0-9]{24}\b/g,
    ['hooks.slack.com'],
  ),
  rule('discord-webhook', 'Discord webhook URL', 'high', /discord(?:app)?\.com\/api\/webhooks\/\d{17,20}\/[\w-]{60,70}(?![\w-])/g, [
    'discord',
  ]),
  rule('telegram-bot-token', 'Telegram bot token', 'high', /\b\d{8,10}:AA[\w-]{33}(?![\w-])/g, [':aa']),
  rule('twilio-api-key', 'Twilio API key SID', 'high', /\bSK[0-9a-f]{32}\b/g, ['sk']),
  rule(
    'twilio-auth-token',
    'Twilio auth token assignment',
    'critical',
    /\btwilio_?auth_?token["']?\s{0,4}[:=]\s{0,4}["']?([0-9a-f]{32})\b/gi,
    ['twilio'],
    { secretGroup: 1 },
  ),
  rule('sendgrid-api-key', 'SendGrid API key', 'high', /\bSG\.[\w-]{22}\.[\w-]{43}(?![\w-])/g, ['sg.']),
  rule('mailgun-api-key', 'Mailgun API key', 'high', /\bkey-[0-9a-f]{32}\b/g, ['key-']),
  rule('mailchimp-api-key', 'Mailchimp API key', 'high', /\b[0-9a-f]{32}-us\d{1,2}\b/g, ['-us']),
  rule('brevo-api-key', 'Brevo (Sendinblue) API key', 'high', /\bxkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}\b/g, ['xkeysib-']),
  rule(
    'hubspot-private-app-token',
    'HubSpot private app token',
    'high',
    /\bpat-(?:na|eu)1-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}\b/g,
    ['pat-na1-', 'pat-eu1-'],
  ),
  rule('linear-api-key', 'Linear API key', 'high', /\blin_api_[A-Za-z0-9]{40}\b/g, ['lin_api_']),
  rule('figma-token', 'Figma personal access token', 'medium', /\bfigd_[\w-]{40}(?![\w-])/g, ['figd_']),
  rule('postman-api-key', 'Postman API key', 'high', /\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b/g, ['pmak-']),
  rule('grafana-service-account-token', 'Grafana service account token', 'high', /\bglsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}\b/g, ['glsa_']),
  rule('newrelic-user-key', 'New Relic user API key', 'high', /\bNRAK-[A-Z0-9]{27}\b/g, ['nrak-']),
  rule(
    'datadog-api-key',
    'Datadog API key assignment',
    'high',
    /\b(?:dd|datadog)_?api_?key["']?\s{0,4}[:=]\s{0,4}["']?([a-f0-9]{32})\b/gi,
    ['dd_api', 'ddapi', 'datadog'],
    { secretGroup: 1 },
  ),
  rule(
    'sentry-dsn',
    'Sentry DSN with its public key',
    'low',
    /https:\/\/[a-f0-9]{32}@[a-z0-9.-]{1,128}\.ingest\.(?:[a-z]{2}\.)?sentry\.io\/\d{1,12}/g,
    ['sentry.io'],
  ),
  rule('shopify-token', 'Shopify access token or shared secret', 'high', /\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b/g, [
    'shpat_',
    'shpca_',
    'shppa_',
    'shpss_',
  ]),
  rule('facebook-access-token', 'Meta (Facebook) access token', 'high', /\bEAA[A-Za-z0-9]{100,255}\b/g, ['eaa']),
  rule('twitter-bearer-token', 'X (Twitter) app bearer token', 'high', /\bA{22}[A-Za-z0-9%]{30,120}(?![A-Za-z0-9%])/g, [
    'aaaaaaaaaaaaaaaaaaaaaa',
  ]),
  rule('onepassword-service-token', '1Password service account token', 'critical', /\bops_eyJ[\w-]{100,1000}(?![\w-])/g, ['ops_eyj']),
  rule('age-secret-key', 'age encryption secret key', 'critical', /\bAGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}\b/g, ['age-secret-key-1']),
  // Payments
  rule('stripe-secret-key', 'Stripe live secret or restricted key', 'critical', /\b[rs]k_live_[A-Za-z0-9]{24,99}\b/g, [
    'sk_live_',
    'rk_live_',
  ]),
  rule('stripe-webhook-secret', 'Stripe webhook signing secret', 'high', /\bwhsec_[A-Za-z0-9]{32,64}\b/g, ['whsec_']),
  rule('square-token', 'Square access token or OAuth secret', 'critical', /\bsq0(?:atp|csp)-[\w-]{22,43}(?![\w-])/g, [
    'sq0atp-',
    'sq0csp-',
  ]),
  rule('braintree-access-token', 'PayPal Braintree access token', 'critical', /access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32}/g, [
    'access_token$production$',
  ]),
  // LLM providers
  rule(
    'openai-api-key',
    'OpenAI project, service-account or admin key',
    'critical',
    /\bsk-(?:proj|svcacct|admin)-[\w-]{40,200}(?![\w-])/g,
    ['sk-proj-', 'sk-svcacct-', 'sk-admin-'],
  ),
  rule('openai-legacy-key', 'OpenAI legacy user key', 'critical', /\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}\b/g, ['t3blbkfj']),
  rule('anthropic-api-key', 'Anthropic API key', 'critical', /\bsk-ant-(?:api|admin)\d{2}-[\w-]{80,110}(?![\w-])/g, ['sk-ant-']),
  rule('huggingface-token', 'Hugging Face access token', 'high', /\bhf_[A-Za-z]{34}\b/g, ['hf_']),
  rule('groq-api-key', 'Groq API key', 'high', /\bgsk_[A-Za-z0-9]{52}\b/g, ['gsk_']),
  rule('xai-api-key', 'xAI API key', 'high', /\bxai-[A-Za-z0-9]{80}\b/g, ['xai-']),
  rule('perplexity-api-key', 'Perplexity API key', 'high', /\bpplx-[A-Za-z0-9]{48}\b/g, ['pplx-']),
  rule('replicate-api-token', 'Replicate API token', 'high', /\br8_[A-Za-z0-9]{37}\b/g, ['r8_']),
  // Keys, tokens and connection strings
  rule(
    'private-key',
    'PEM / OpenSSH / PGP private key block',
    'critical',
    /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/g,
    ['-----begin'],
  ),
  rule('jwt', 'JSON Web Token', 'high', /(?<![\w-])eyJ[\w-]{8,2048}\.eyJ[\w-]{8,4096}\.[\w-]{16,1024}/g, ['eyj']),
  rule(
    'connection-string',
    'database or broker URL with a password',
    'critical',
    /\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver):\/\/[^\s:@/]{1,64}:([^\s@/${}<>*]{3,128})@[\w.-]{1,255}/g,
    ['postgres', 'mysql', 'mariadb', 'mongodb', 'redis', 'amqp', 'mssql', 'sqlserver'],
    { secretGroup: 1 },
  ),
  rule(
    'url-credentials',
    'HTTP(S) URL with a user and password',
    'high',
    /\bhttps?:\/\/[^\s:@/]{1,64}:([^\s@/${}<>*]{6,128})@[\w.-]{1,255}/g,
    ['http'],
    { secretGroup: 1, generic: true },
  ),
  rule(
    'generic-password',
    'password assigned a high-entropy value',
    'high',
    /(?:password|passwd|pwd|passphrase)["']?\s{0,4}(?:[:=]|:=|=>)\s{0,4}["'`]?([^\s"'`,;]{8,128})/gi,
    ['pass', 'pwd'],
    { secretGroup: 1, generic: true },
  ),
  rule(
    'generic-api-key',
    'API key, token or client secret assigned a high-entropy value',
    'high',
    /(?:api_?key|access_?token|auth_?token|secret_?key|client_?secret|secret)["']?\s{0,4}(?:[:=]|:=|=>)\s{0,4}["'`]?([^\s"'`,;]{16,256})/gi,
    ['key', 'token', 'secret'],
    { secretGroup: 1, generic: true },
  ),
  rule('bearer-token', 'Authorization bearer token', 'high', /\bBearer\s{1,4}([\w~+/.-]{20,2048}={0,2})(?![\w~+/.=-])/g, ['bearer'], {
    secretGroup: 1,
    generic: true,
  }),
]);
