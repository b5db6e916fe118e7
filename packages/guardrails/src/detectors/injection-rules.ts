/** The kinds of evidence the injection detector scores. */
export type InjectionSignal =
  | 'instruction-override'
  | 'persona-hijack'
  | 'system-prompt-request'
  | 'tool-coercion'
  | 'hidden-unicode'
  | 'html-comment'
  | 'markdown-image-exfiltration'
  | 'encoded-payload';

/** A phrase rule: fixed keyword first, bounded gaps. */
export interface InjectionRule {
  readonly id: string;
  readonly signal: InjectionSignal;
  /** Contribution to the score (0-1); signals combine as 1 - Π(1 - weight). */
  readonly weight: number;
  readonly keywords: readonly string[];
  readonly regex: RegExp;
}

const r = (id: string, signal: InjectionSignal, weight: number, keywords: readonly string[], regex: RegExp): InjectionRule =>
  Object.freeze({ id, signal, weight, keywords, regex });

/** Phrase rules (English plus basic French, Spanish, Portuguese, German, Italian, Dutch, Russian, Chinese, Japanese). */
export const injectionRules: readonly InjectionRule[] = Object.freeze([
  r(
    'override-ignore',
    'instruction-override',
    0.75,
    ['ignore', 'disregard', 'override', 'bypass', 'skip'],
    /\b(?:ignore|disregard|override|bypass|skip)\s{1,3}(?:all\s{1,3}|any\s{1,3}|the\s{1,3}|your\s{1,3}|of\s{1,3}|these\s{1,3}|those\s{1,3}){0,3}(?:(?:previous|prior|above|earlier|preceding|initial|original|system|safety|existing|developer|former)\s{1,3})?(?:instructions?|directions?|rules|guidelines|prompts?|directives?|commands?|constraints|guardrails|polic(?:y|ies)|messages?|context|programming)\b/gi,
  ),
  r(
    'override-forget',
    'instruction-override',
    0.65,
    ['forget'],
    /\bforget\s{1,3}(?:about\s{1,3})?(?:everything|all(?:\s{1,3}(?:of\s{1,3})?(?:your|the|my))?|your)\s{1,3}(?:you\s{1,3}(?:were|have\s{1,3}been)\s{1,3}told|instructions?|rules|guidelines|previous|prior|above|before|training)\b/gi,
  ),
  r(
    'override-new-instructions',
    'instruction-override',
    0.6,
    ['instruction'],
    /\b(?:new|updated|real|actual|true|revised|secret|admin)\s{1,3}(?:system\s{1,3})?instructions?\s{0,3}:/gi,
  ),
  r('override-from-now-on', 'instruction-override', 0.3, ['now'], /\bfrom\s{1,3}now\s{1,3}on\b/gi),
  r(
    'override-fr',
    'instruction-override',
    0.75,
    ['ignor', 'oubli'],
    /\b(?:ignore[rz]?|oublie[rz]?)\s{1,3}(?:toutes\s{1,3})?(?:les\s{1,3}|vos\s{1,3})?(?:instructions|consignes|règles)(?:\s{1,3}(?:précédentes|antérieures|ci-dessus))?/gi,
  ),
  r(
    'override-es-pt-it',
    'instruction-override',
    0.75,
    ['ignor', 'olvida', 'esquece', 'dimentica'],
    /\b(?:ignorar?|ignore|olvida|esquece|dimentica)\s{1,3}(?:todas\s{1,3}|tutte\s{1,3})?(?:las\s{1,3}|as\s{1,3}|le\s{1,3})?(?:instrucciones|instruções|istruzioni|regras|reglas|regole)(?:\s{1,3}(?:anteriores|previas|precedenti))?/gi,
  ),
  r(
    'override-de',
    'instruction-override',
    0.75,
    ['ignorier', 'vergiss'],
    /\b(?:ignorier(?:e|en)?|vergiss)\s{1,3}(?:alle\s{1,3})?(?:(?:vorherigen|bisherigen|obigen|vorigen)\s{1,3})?(?:Anweisungen|Instruktionen|Befehle|Regeln)/gi,
  ),
  r('override-nl', 'instruction-override', 0.75, ['negeer'], /\bnegeer\s{1,3}(?:alle\s{1,3})?(?:(?:vorige|eerdere)\s{1,3})?instructies/gi),
  r(
    'override-ru',
    'instruction-override',
    0.75,
    ['игнорир', 'забудь'],
    /(?:игнорируй(?:те)?|забудь(?:те)?)\s{1,3}(?:все\s{1,3})?(?:(?:предыдущие|прошлые)\s{1,3})?(?:инструкции|указания|правила)/gi,
  ),
  r(
    'override-zh',
    'instruction-override',
    0.75,
    ['忽略', '忽视'],
    /(?:忽略|忽视)(?:之前|以上|上面|先前|所有)的?(?:所有)?(?:指令|指示|说明|规则)/g,
  ),
  r('override-ja', 'instruction-override', 0.75, ['無視'], /(?:以前|前|上記)の(?:すべての)?(?:指示|命令)を無視/g),
  r(
    'persona-you-are-now',
    'persona-hijack',
    0.45,
    ['now', 'longer'],
    /\byou\s{1,3}are\s{1,3}(?:now|no\s{1,3}longer)\s{1,3}(?:an?\s{1,3})?(?:unrestricted|unfiltered|uncensored|free|jailbroken|evil|different|dan|not|my|in)\b/gi,
  ),
  r(
    'persona-act-as',
    'persona-hijack',
    0.45,
    ['act', 'behave', 'pretend', 'roleplay'],
    /\b(?:act|behave|pretend|roleplay)\s{1,3}(?:as|to\s{1,3}be|you\s{1,3}are)\s{1,3}(?:if\s{1,3}you\s{1,3}(?:are|were)\s{1,3})?(?:an?\s{1,3})?(?:unrestricted|unfiltered|uncensored|jailbroken|evil|rogue|hacker|dan|ai\s{1,3}without|assistant\s{1,3}without|model\s{1,3}without)\b/gi,
  ),
  r(
    'persona-jailbreak',
    'persona-hijack',
    0.5,
    ['jailbreak', 'developer', 'dan', 'anything', 'god'],
    /\b(?:jailbreak(?:ed|ing)?|developer\s{1,3}mode|dan\s{1,3}mode|do\s{1,3}anything\s{1,3}now|god\s{1,3}mode)\b/gi,
  ),
  r(
    'system-prompt-reveal',
    'system-prompt-request',
    0.6,
    ['prompt', 'instruction', 'system', 'developer'],
    /\b(?:reveal|show|print|display|repeat|output|tell\s{1,3}me|give\s{1,3}me|share|leak|dump|write\s{1,3}out|what\s{1,3}(?:is|are|were|was))\s{1,3}(?:me\s{1,3})?(?:your|the)\s{1,3}(?:(?:full|original|initial|hidden|secret|exact|complete|entire)\s{1,3})?(?:system\s{1,3}(?:prompt|message|instructions?)|instructions|initial\s{1,3}prompt|prompt|developer\s{1,3}message)\b/gi,
  ),
  r(
    'system-prompt-repeat-above',
    'system-prompt-request',
    0.55,
    ['repeat'],
    /\brepeat\s{1,3}(?:the\s{1,3}|all\s{1,3})?(?:text|words|everything|content|lines)\s{1,3}(?:above|before\s{1,3}this)\b/gi,
  ),
  r(
    'tool-coercion-call',
    'tool-coercion',
    0.4,
    ['tool', 'function', '_'],
    /\b(?:call|invoke|use|run|execute|trigger)\s{1,3}(?:the\s{1,3})?(?:[a-z]{1,24}_[a-z_]{1,40}|(?:[a-z]{1,24}\s{1,3})?(?:tool|function)s?)\b(?:\s{1,3}(?:with|to|and|now|immediately))?/gi,
  ),
  r(
    'tool-coercion-send',
    'tool-coercion',
    0.4,
    ['@'],
    /\b(?:send|forward|email)\s{1,3}(?:all\s{1,3}|the\s{1,3}|this\s{1,3}|an?\s{1,3})?(?:(?:e-?mail|message|data|conversation|details|information|password|credentials)\s{1,3})?to\s{1,3}[\w.+-]{1,64}@/gi,
  ),
  r(
    'tool-coercion-assistant-must',
    'tool-coercion',
    0.35,
    ['must', 'should', 'needs'],
    /\b(?:assistant|ai|model|agent)\s{1,3}(?:must|should|needs\s{1,3}to)\s{1,3}(?:now\s{1,3})?(?:call|invoke|send|refund|transfer|delete|execute|email)\b/gi,
  ),
]);
