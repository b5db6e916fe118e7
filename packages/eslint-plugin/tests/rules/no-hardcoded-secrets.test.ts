import rule from '../../src/rules/no-hardcoded-secrets.js';
import { runRule } from '../rule-tester.js';

// Built at run time so the secrets never appear as literals in this file.
const ghp = `ghp_${'a1B2c3D4e5'.repeat(3)}Zz9Yy8`;
const aws = `AKIA${'Q3TZ7WX5'.repeat(2)}`;
const slack = `xoxb-1234567890-1234567890-${'aB3dE5fG7hJ9'.repeat(2)}`;
const highEntropy = 'h7Gk2Lq9Zr4Xv8Nw3Ty6Bp1M';

runRule('no-hardcoded-secrets', rule, {
  valid: [
    "export const apiKey = process.env['OPENAI_API_KEY'];",
    // Placeholders and low-entropy values.
    "export const apiKey = 'your-api-key-goes-here-please';",
    "export const password = 'aaaaaaaaaaaaaaaa';",
    "export const token = 'AKIAIOSFODNN7EXAMPLE';",
    // A high-entropy string that is not assigned to a secret-looking name.
    `export const commit = '${highEntropy}';`,
    // Module specifiers are never scanned.
    "export { x } from './ghp_not_a_token_just_a_module_name_here_ok.js';",
    { code: `export const token = '${ghp}';`, options: [{ ignoreRules: ['github-pat'] }] },
  ],
  invalid: [
    {
      code: `export const token = '${ghp}';`,
      errors: [
        {
          messageId: 'hardcodedSecret',
          data: { description: 'GitHub personal access token (classic)', rule: 'github-pat' },
          line: 1,
          column: 22,
        },
      ],
    },
    {
      code: `const client = { accessKeyId: '${aws}' };\nexport { client };`,
      errors: [
        { messageId: 'hardcodedSecret', data: { description: 'AWS access key id', rule: 'aws-access-key-id' }, line: 1, column: 31 },
      ],
    },
    {
      code: `export const headers = { Authorization: \`Bearer ${highEntropy}\${''}\` };`,
      errors: [{ messageId: 'hardcodedSecret', data: { description: 'Authorization bearer token', rule: 'bearer-token' } }],
    },
    // Generic rules use the name the literal is assigned to.
    {
      code: `export const apiKey = '${highEntropy}';`,
      errors: [
        {
          messageId: 'hardcodedSecret',
          data: { description: 'API key, token or client secret assigned a high-entropy value', rule: 'generic-api-key' },
        },
      ],
    },
    {
      code: `const config: { password?: string } = {};\nconfig.password = '${highEntropy}';\nexport { config };`,
      errors: [{ messageId: 'hardcodedSecret', line: 2, column: 19 }],
    },
    {
      code: `export const webhook = "${slack}";`,
      errors: [{ messageId: 'hardcodedSecret', data: { description: 'Slack bot token', rule: 'slack-bot-token' } }],
    },
  ],
});
