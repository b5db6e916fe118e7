// The word classes the structural injection analyser (./injection-structure.ts) reads. Words are written
// lower-case and without diacritics (the tokeniser folds "é" to "e", "ł" to "l", full-width to ASCII, and
// Cyrillic/Greek look-alikes inside Latin words to Latin). A word may be in several classes.
//
// The classes describe the STRUCTURE of an injection, not any benchmark's wording: who a text addresses
// (an AI/assistant/model/agent), what it asks (override the agent's instructions, act, keep quiet), how it
// frames the ask (authority, urgency, a precondition on the agent's task) and what it targets.

/** Bit flags of a word's classes. */
export const W = {
  /** Imperative override verbs: ignore, disregard, forget … (SVO languages: the object follows). */
  OVERRIDE: 1 << 0,
  /** Override verbs of SOV languages (the object comes first): Turkish, Korean, Hindi … */
  OVERRIDE_SOV: 1 << 1,
  /** What gets overridden: instructions, rules, guidelines, system prompt … */
  OBJECT: 1 << 2,
  /** Ties the object to the agent's own context: previous, prior, above, original, all, your, system … */
  MODIFIER: 1 << 3,
  /** Nouns naming an AI addressee: assistant, AI, chatbot, LLM, language model … */
  ADDRESSEE: 1 << 4,
  /** Nouns that name an AI addressee only when qualified ("AI agent", "agents reading this"): agent, model. */
  ADDRESSEE_WEAK: 1 << 5,
  /** Words that open an address: to, for, dear, hey, attention, note … */
  TO: 1 << 6,
  /** Possessives: "for your AI assistant" talks about an assistant, it does not address one. */
  POSSESSIVE: 1 << 7,
  /** Present participles describing the reader: reading, processing, summarising … */
  READER: 1 << 8,
  /** Side-effect verbs (imperative): send, forward, refund, transfer, delete … */
  ACT: 1 << 9,
  /** Modal obligation: must, need, have (to), should, shall, required, mandatory … */
  MODAL: 1 << 10,
  /** Precondition heads: before, prior, first … */
  PRE: 1 << 11,
  /** What the agent was asked to do: solve, complete, answer, reply, summarise, continue … */
  TASK_VERB: 1 << 12,
  /** The agent's task: task, assignment, job … */
  TASK_NOUN: 1 << 13,
  /** Authority and urgency: important, urgent, official, admin, security team, developer, owner … */
  AUTHORITY: 1 << 14,
  /** Negation: not, never, without, no … */
  NEGATION: 1 << 15,
  /** Telling and asking (for secrecy: "do not tell the user"): tell, mention, inform, ask … */
  TELL: 1 << 16,
  /** Discussion of attacks (damps a quoted phrase): attacker, injection, researchers, example … */
  META: 1 << 17,
  /** Controls an agent is bound by: approval, verification, limit, threshold, filter, guardrails … */
  CONTROL: 1 << 18,
  /** Switching a control off: skip, bypass, disable, lift, waive; lifted, disabled, suspended … */
  LIFT: 1 << 19,
  /** Second person: you, your … (in many languages). */
  YOU: 1 << 20,
  /** Labels of a directive: note, instructions, directive, checklist, steps, todo, message … */
  LABEL: 1 << 21,
  /** Imperative verbs that direct an agent's output or behaviour: tell, reply, recommend, say, state … */
  DIRECT: 1 << 22,
  /** Follow/obey/comply (an override when negated: "stop following your rules"). */
  FOLLOW: 1 << 23,
  /** Chat roles: system, user, assistant, human. */
  ROLE: 1 << 24,
  /** Secrecy adverbs and pronouns: secretly, silently, quietly, nobody … */
  SECRET: 1 << 25,
  /** Currency words: usd, eur, dollars, euros … */
  CURRENCY: 1 << 26,
  /** Quantifiers that widen an action to everything: all, every, each, entire … */
  ALL: 1 << 27,
  /** Heads of compounds in which "AI" is not an addressee: team, feature, act, research … */
  COMPOUND_HEAD: 1 << 28,
  /** Obligation when followed by "to": have, has, need, needs, got. */
  MODAL_TO: 1 << 29,
  /** Objects whose override is unambiguous (instructions, system prompt); other objects (rules, policy) weigh less. */
  STRONG_OBJECT: 1 << 31,
} as const;

const words = (list: string): string[] => list.split(/\s+/).filter((word) => word.length > 0);

/** Every class's words. English first, then French, Spanish, Portuguese, Italian, German, Dutch, Polish,
 * Swedish/Danish/Norwegian, Czech, Indonesian, Turkish, Russian, and a few forms of other languages. */
export const LEXICON: readonly (readonly [flags: number, words: readonly string[]])[] = [
  [
    W.OVERRIDE,
    words(`
      ignore ignoring disregard disregarding forget forgetting override overriding bypass neglect discard overlook
      dismiss ditch abandon circumvent supersede supersedes overwrite overrule
      ignorez ignore ignorer oublie oubliez oublier
      ignora ignorar ignores olvida olvide olvidar olvidate descarta omite
      ignore ignorar esqueca esquece desconsidere desconsidera
      ignora ignorare dimentica dimenticare tralascia
      ignoriere ignorieren ignorier vergiss vergessen missachte missachten verwirf
      negeer negeren vergeet
      zignoruj ignoruj zapomnij pomin
      strunta ignorera glom glem ignorer ignorér
      ignoruj ignorujte zapomen zapomente
      abaikan lupakan acuhkan
      игнорируй игнорируйте забудь забудьте проигнорируй отбрось
      تجاهل
    `),
  ],
  [
    W.STRONG_OBJECT,
    words(`
      instructions instruction guidelines guideline directives directive prompt prompts programming guardrails safeguards
      consignes instrucciones instrucoes istruzioni anweisungen instruktionen instructies instrukcje polecenia instruktioner
      instruksjoner pokyny instrukce instruksi talimatlari talimatlar инструкции указания инструкций التعليمات تعليمات
      निर्देशों निर्देश 지시를 지시사항을 지침을 명령을 지시
    `),
  ],
  [W.OVERRIDE_SOV, words('무시하고 무시해 무시하세요 무시해줘 무시하십시오 अनदेखा नजरअंदाज unut')],
  [
    W.OBJECT,
    words(`
      instructions instruction rules guidelines guideline directives directive prompt prompts policies policy
      restrictions constraints guardrails programming commands orders safeguards directions guidance
      system_prompt everything
      consignes regles directives
      instrucciones reglas indicaciones directrices normas
      instrucoes regras diretrizes
      istruzioni regole direttive
      anweisungen regeln richtlinien vorgaben befehle instruktionen
      instructies regels richtlijnen
      instrukcje polecenia zasady reguly wytyczne
      instruktioner regler riktlinjer instruksjoner
      pokyny instrukce pravidla
      instruksi aturan petunjuk perintah
      talimatlari talimatlar kurallari
      инструкции указания правила инструкций
      التعليمات تعليمات
      निर्देशों निर्देश
      지시를 지시사항을 지침을 명령을 지시
    `),
  ],
  [
    W.MODIFIER,
    words(`
      previous prior above earlier preceding initial original former old existing all any every your the these
      those system safety default current
      precedentes precedente anterieures anterieurs tes vos toutes tous
      anteriores previas todas todos tus sus
      precedenti tutte tutti tue
      vorherigen bisherigen obigen vorigen alle deine ihre
      eerdere vorige alle je jouw
      poprzednie wczesniejsze wszystkie twoje
      tidigare alla dina
      predchozi vsechny sve
      sebelumnya semua
      onceki tum
      предыдущие прошлые все свои твои
      السابقة جميع
      पिछले सभी
      이전의 모든
    `),
  ],
  [
    W.ADDRESSEE,
    words(`
      assistant assistants ai llm llms chatbot chatbots bot bots copilot gpt chatgpt
      assistente asistente assistent assistenten asystent asystenta asystencie ki ia
      ассистент ассистенту помощник помощнику
    `),
  ],
  [W.ADDRESSEE_WEAK, words('agent agents model models agente agenten agenta modelo modello modele')],
  [
    W.TO,
    words(`
      to for dear hey hi hello attention attn
      pour
      para al
      per
      fur
      voor aan
      dla
      till
      pro
      untuk kepada
      для к
    `),
  ],
  [
    W.POSSESSIVE,
    words('your my our his her their its votre ton ta tu su vuestro tuo vostro dein deine ihr ihre uw jouw twoj twoja din ditt'),
  ],
  [
    W.READER,
    words(`
      reading processing summarising summarizing summarizes summarises handling parsing browsing viewing scanning
      analysing analyzing indexing reviewing ingesting crawling seeing reads processes
    `),
  ],
  [
    W.ACT,
    words(`
      send forward email mail refund transfer wire pay delete remove upload post share exfiltrate leak create open
      change update approve grant issue push download install call invoke run execute submit reset cancel book
      order buy purchase move copy export publish credit deposit withdraw reimburse escalate close accept
      envoie envoyez rembourse remboursez transfere supprime
      envia reembolsa reembolse transfiere borra elimina
      invia rimborsa trasferisci elimina cancella
      sende schicke uberweise erstatte losche
      stuur verstuur stort verwijder
      wyslij zwroc przelej usun
      skicka overfor
      kirim transfer hapus
      отправь переведи верни удали
    `),
  ],
  [
    W.MODAL,
    words(`
      must should shall required mandatory obligatory necessary
      doit devez faut debes debe tienes tiene hay
      devi deve musst muss mussen moet moeten musisz trzeba maste harus
      должен нужно надо
    `),
  ],
  [
    W.PRE,
    words(
      'before prior first beforehand avant antes prima bevor vorher voordat eerst zanim najpierw innan forst sebelum terlebih перед сначала',
    ),
  ],
  [
    W.TASK_VERB,
    words(`
      solve solving complete completing finish finishing answer answering respond responding reply replying
      summarise summarize summarising summarizing proceed continue continuing accomplish fulfil fulfill resume
      terminer resoudre repondre continuer
      completar resolver responder terminar continuar
      completare risolvere rispondere continuare
      losen loest lost beenden antworten beantworten fortfahren
      oplossen voltooien beantwoorden
      rozwiazac ukonczyc odpowiedziec
      losa slutfora svara
      menyelesaikan menjawab
    `),
  ],
  [
    W.TASK_NOUN,
    words('task tasks assignment job mission tache tarea tareas tarefa compito aufgabe taak zadanie uppgift ukol tugas задачу задача'),
  ],
  [
    W.AUTHORITY,
    words(`
      important urgent urgently official priority critical emergency admin administrator administrators sysadmin
      security compliance management department developer developers creator creators owner operator ceo cfo cto
      manager supervisor headquarters authorized authorised authorization authorisation verified notice alert
      directive override warning attention
      importante urgente urgence officiel direction
      wichtig wichtiger dringend dringende hinweis achtung
      belangrijk dringend
      wazne wazna pilne uwaga
      viktigt brådskande
      penting
      важное срочно
    `),
  ],
  [
    W.NEGATION,
    words(
      'not never without no dont don didn doesn nor ne jamais sans sin nunca senza mai nicht ohne kein keine niet zonder nie bez utan aldrig ikke tanpa jangan не без',
    ),
  ],
  [W.TELL, words('tell mention inform notify alert ask asking telling informing notifying disclose reveal let warn')],
  [
    W.META,
    words(`
      attacker attackers attack attacks injection injections researchers research paper study abstract example
      examples scammer scammers phishing malicious adversarial defend defence defense protect
      mitigate mitigation detect detection blog tutorial benchmark evaluate evaluation dataset hackers hacker
      trick tricks fraud awareness
    `),
  ],
  [
    W.CONTROL,
    words(`
      approval approvals verification checks limit limits threshold thresholds
      guardrails restrictions safeguards moderation escalation confirmation review authentication validation
      policy policies safety rules oversight supervision
      validation approbation verification
      aprobacion verificacion limite
      approvazione verifica limiti
      genehmigung freigabe prufung einschrankungen
      goedkeuring controle
      zatwierdzenia zatwierdzenie weryfikacji
      godkannande
      persetujuan
    `),
  ],
  [
    W.LIFT,
    words(`
      skip bypass disable disabled drop lift lifted waive waived suspend suspended revoke revoked
      deactivate deactivated circumvent unlocked unrestricted
      desactive desactiva desactivado deaktiviert aufgehoben deaktiviere disattiva disattivato
      wylacz wylaczone
    `),
  ],
  [W.YOU, words('you youre u du tu vous usted eres ustedes tú jij je ty kamu anda вы ты')],
  [
    W.LABEL,
    words(`
      note notes instructions instruction directive directives checklist steps todo message notice memo command
      commands reminder directions order prompt
      hinweis nota opmerking uwaga anmerkung notiz
    `),
  ],
  [
    W.DIRECT,
    words(`
      tell reply respond answer recommend say state write print output list include add link redirect direct
      offer apply give stop start confirm claim insist describe summarise summarize translate reveal show
      repeat display
    `),
  ],
  [W.FOLLOW, words('follow following obey obeying comply complying adhere listen bound')],
  [W.ROLE, words('system user assistant human developer')],
  [W.SECRET, words('secretly silently quietly covertly nobody unnoticed discreetly')],
  [W.CURRENCY, words('usd eur gbp chf pln sek nok dkk jpy cny inr brl dollars dollar euros euro pounds zl')],
  [W.ALL, words('all every each entire whole')],
  [W.MODAL_TO, words('have has need needs got')],
  [
    W.COMPOUND_HEAD,
    words(`
      team teams feature features lab labs research act company companies startup product products tools tool
      ethics industry market course workshop conference regulation regulations news department field mode
      generated technology tech era age revolution world future manager role position vacancy director
    `),
  ],
];

/**
 * Words matched with one edit (insertion, deletion, substitution or transposition) as well as exactly:
 * the override verbs, their objects and modifiers, and the addressee nouns that misspelt attacks use.
 * Only words of 6 letters or more, so short common words are never taken for them.
 */
export const FUZZY_WORDS: readonly string[] = words(`
  ignore disregard forget override bypass neglect instructions instruction guidelines guideline directives
  directive prompt system previous restrictions constraints commands guardrails assistant chatbot
`);

/** Words a one-edit match must not take for a fuzzy word (real words at distance one). */
export const FUZZY_STOP: readonly string[] = words(`
  forgot forged forest forges ignored ignores signore
  systems prompts prompted promote promo
`);
