/**
 * The kinds of evidence the injection detector scores. Strong kinds can reach a threshold alone; context
 * kinds (`addressee`, `control-waived`, `authority-claim`, `secrecy`, `tool-intent`, `forged-transcript`,
 * `obfuscation`, `template-mention`) only add to a strong signal or to an address to an AI (see `injectionScore`).
 */
export type InjectionSignal =
  | 'instruction-override'
  | 'persona-hijack'
  | 'system-prompt-request'
  | 'tool-coercion'
  | 'hidden-unicode'
  | 'html-comment'
  | 'markdown-image-exfiltration'
  | 'encoded-payload'
  | 'chat-template'
  | 'role-line'
  | 'addressed-instruction'
  | 'task-precondition'
  | 'policy-subversion'
  | 'spoofed-authority'
  | 'addressee'
  | 'control-waived'
  | 'authority-claim'
  | 'secrecy'
  | 'tool-intent'
  | 'forged-transcript'
  | 'obfuscation'
  | 'template-mention';

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
  r(
    'override-ja',
    'instruction-override',
    0.75,
    ['無視'],
    /(?:以前|前|上記|これまで)の(?:すべての)?(?:指示|命令|指令)(?:を|は)(?:すべて)?無視/g,
  ),
  r(
    'override-ko',
    'instruction-override',
    0.75,
    ['무시'],
    /(?:이전|위|앞)의?\s{0,2}(?:모든\s{0,2})?(?:지시|지침|명령)[을를]?\s{0,2}(?:모두\s{0,2})?무시/g,
  ),
  r(
    'chat-template-special-token',
    'chat-template',
    0.7,
    ['<|im_start|>', '<|start_header_id|>', '<|system|>', '<start_of_turn>'],
    /<\|im_start\|>\s{0,2}(?:system|user|assistant)|<\|start_header_id\|>\s{0,2}(?:system|user|assistant|ipython)\s{0,2}<\|end_header_id\|>|<\|(?:system|user|assistant)\|>|<start_of_turn>\s{0,2}(?:system|user|model)/gi,
  ),
  r(
    'chat-template-llama2',
    'chat-template',
    0.7,
    ['<<sys>>', '[inst]'],
    /<<\/?SYS>>|<\/s>\s{0,2}<s>\s{0,2}\[INST\]|\[INST\][^[\]]{0,512}\[\/INST\]/gi,
  ),
  r(
    'chat-template-mention',
    'template-mention',
    0.25,
    ['<|', '<start_of_turn', '<end_of_turn', '[inst]'],
    /<\|[a-z_]{2,24}\|>|<(?:start|end)_of_turn>|\[\/?INST\]/gi,
  ),
  r('chat-template-json-role', 'role-line', 0.45, ['"role"'], /"role"\s{0,3}:\s{0,3}"(?:system|developer)"/gi),
  r(
    'markdown-role-heading',
    'role-line',
    0.4,
    ['### '],
    /###\s{0,2}(?:system|instruction|instructions|new instructions|admin|developer)\s{0,2}(?::|\n)/gi,
  ),
  r(
    'system-override-header',
    'instruction-override',
    0.45,
    ['override', 'directive'],
    /\b(?:system|admin|administrator|security|developer|emergency|root)\s{1,3}(?:override|directive|command)\s{0,2}[:!-]/gi,
  ),
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
    'persona-from-now-on',
    'persona-hijack',
    0.5,
    ['now on', 'now,'],
    /\bfrom\s{1,3}now\s{1,3}on,?\s{1,3}(?:you(?:'re|\s{1,3}are)|act\s{1,3}as|behave\s{1,3}(?:as|like)|pretend|play)\b/gi,
  ),
  r(
    'persona-no-longer',
    'persona-hijack',
    0.5,
    ['longer'],
    /\byou(?:'re|\s{1,3}are)\s{1,3}no\s{1,3}longer\s{1,3}(?:an?|the|bound|restricted|limited|required|my|our|just)\b/gi,
  ),
  r(
    'persona-pretend-ai',
    'persona-hijack',
    0.5,
    ['pretend', 'imagine', 'roleplay', 'role-play', 'role play'],
    /\b(?:pretend|imagine|roleplay|role-play|role\s{1,3}play)\s{1,3}(?:to\s{1,3}be\s{1,3}|that\s{1,3}you(?:'re|\s{1,3}are)\s{1,3}|you(?:'re|\s{1,3}are)\s{1,3}|as\s{1,3})(?:an?\s{1,3})?(?:ai|assistant|model|chatbot|bot|agent|llm|gpt)\b/gi,
  ),
  r(
    'persona-without-rules',
    'persona-hijack',
    0.6,
    ['without', 'no ', 'free of', 'broken free'],
    /\b(?:ai|assistant|model|chatbot|bot|agent|llm|gpt|version\s{1,3}of\s{1,3}you)\s{1,3}(?:that\s{1,3}(?:has|have)\s{1,3})?(?:without|with\s{1,3}no|with\s{0,3}out|that\s{1,3}ignores|free\s{1,3}of|no\s{1,3}longer\s{1,3}bound\s{1,3}by)\s{1,3}(?:any\s{1,3})?(?:rules|restrictions|limits|limitations|guidelines|filters?|content\s{1,3}polic(?:y|ies)|polic(?:y|ies)|ethics|guardrails|censorship)\b|\bbroken\s{1,3}free\s{1,3}of\b/gi,
  ),
  r(
    'persona-lets-play',
    'persona-hijack',
    0.4,
    ['play', 'roleplay', 'role-play'],
    /\blet(?:'s|\s{1,3}us)\s{1,3}(?:play\s{1,3}a\s{1,3}game|role[- ]?play)\b|\bstay\s{1,3}in\s{1,3}character\b/gi,
  ),
  r(
    'persona-other-languages',
    'persona-hijack',
    0.45,
    ['du bist', 'tu es', 'eres', 'sei ', 'je bent', 'jestes', 'jesteś', 'du är', 'ты теперь'],
    /\b(?:du\s{1,3}bist\s{1,3}(?:jetzt|ab\s{1,3}sofort|nun|von\s{1,3}nun\s{1,3}an)|tu\s{1,3}es\s{1,3}(?:maintenant|désormais|desormais)|(?:a\s{1,3}partir\s{1,3}de\s{1,3}ahora|de\s{1,3}ahora\s{1,3}en\s{1,3}adelante|ahora)\s{1,3}eres|(?:ora|d'ora\s{1,3}in\s{1,3}poi)\s{1,3}sei|je\s{1,3}bent\s{1,3}(?:nu|vanaf\s{1,3}nu)|od\s{1,3}teraz\s{1,3}jeste(?:s|ś)|du\s{1,3}är\s{1,3}nu)\b|ты\s{1,3}теперь/gi,
  ),
  r(
    'persona-mode',
    'persona-hijack',
    0.5,
    ['mode', 'modus'],
    /\b(?:maintenance|debug|unrestricted|unfiltered|admin|sudo|root|god|dan|jailbreak|evil)\s{1,3}mode\b|\b(?:wartungsmodus|entwicklermodus)\b/gi,
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
    ['repeat', 'print', 'output', 'copy', 'show'],
    /\b(?:repeat|print|output|copy|show|write\s{1,3}out|reproduce)\s{1,3}(?:the\s{1,3}|all\s{1,3}(?:of\s{1,3})?(?:the\s{1,3})?)?(?:text|words|everything|content|lines|messages?|instructions)\s{1,3}(?:above|before\s{1,3}this|(?:written\s{1,3})?above\s{1,3}this|(?:that\s{1,3})?came\s{1,3}before)\b/gi,
  ),
  r(
    'system-prompt-starting-with',
    'system-prompt-request',
    0.6,
    ['starting', 'beginning', 'begins', 'starts'],
    /\b(?:starting|beginning)\s{1,3}(?:from|with|at)\s{1,3}["'“‘]?\s{0,2}you\s{1,3}are\b/gi,
  ),
  r(
    'system-prompt-transform',
    'system-prompt-request',
    0.6,
    ['prompt', 'instruction', 'configuration'],
    /\b(?:translate|summari[sz]e|paraphrase|encode|spell\s{1,3}out|rewrite|list|copy|quote|recite|dump|print(?:ing)?|output(?:ting)?|show(?:ing)?|reveal(?:ing)?)\s{1,3}(?:me\s{1,3})?(?:all\s{1,3})?(?:of\s{1,3})?your\s{1,3}(?:(?:full|original|initial|hidden|secret|exact|complete|entire|real)\s{1,3})?(?:system\s{1,3}(?:prompt|message|instructions?)|instructions|initial\s{1,3}prompt|prompt|configuration|developer\s{1,3}message|hidden\s{1,3}rules|rules)\b/gi,
  ),
  r(
    'tool-coercion-call',
    'tool-coercion',
    0.4,
    ['tool', 'function', '_'],
    /\b(?:call|invoke|use|run|execute|trigger)\s{1,3}(?:the\s{1,3})?(?:[a-z]{1,24}_[a-z_]{1,40}|(?:[a-z]{1,24}\s{1,3})?(?:tool|function)s?)\b(?:\s{1,3}(?:with|to|and|now|immediately))?/gi,
  ),
  r(
    'tool-coercion-assistant-must',
    'tool-coercion',
    0.35,
    ['must', 'should', 'needs'],
    /\b(?:assistant|ai|model|agent)\s{1,3}(?:must|should|needs\s{1,3}to)\s{1,3}(?:now\s{1,3})?(?:call|invoke|send|refund|transfer|delete|execute|email)\b/gi,
  ),
]);
