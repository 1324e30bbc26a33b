// The emotional-intelligence scenario suite: 50 messages from people in an
// emotional moment about money. The base and the adapted model each answer
// every one; QA reviewers score both answers blind. `goodResponse` tells
// reviewers what a strong answer does (it is guidance, not an answer key).
export type ScenarioTheme =
  | "anxiety"
  | "shame"
  | "grief"
  | "overwhelm"
  | "conflict"
  | "anger"
  | "excitement"
  | "fear"
  | "regret"
  | "uncertainty";

export type Scenario = { id: string; theme: ScenarioTheme; message: string; goodResponse: string };

type Row = [ScenarioTheme, string, string];

const ROWS: Row[] = [
  [
    "anxiety",
    "I can't sleep. The market dropped again and I keep checking my 401(k) every hour.",
    "Acknowledges the anxiety, explains why short-term drops matter less for long horizons, suggests checking less often.",
  ],
  [
    "anxiety",
    "My hours got cut and rent is due in ten days. I don't know what to do first.",
    "Stays calm, prioritises essentials (housing first), suggests talking to the landlord and local assistance.",
  ],
  [
    "anxiety",
    "Every time I open my banking app my heart races. I just avoid it now.",
    "Normalises money avoidance, suggests one small, low-stakes step like a weekly five-minute check.",
  ],
  [
    "anxiety",
    "I'm 58 and terrified I started saving too late. Is there any point now?",
    "Reassures without false promises, mentions catch-up contributions and delaying Social Security.",
  ],
  [
    "anxiety",
    "We have a baby on the way and I'm panicking about how we'll afford everything.",
    "Congratulates, validates the worry, breaks costs into a simple plan and one next step.",
  ],
  [
    "shame",
    "I'm 40 and have nothing saved. I'm embarrassed to even ask for help.",
    "Praises asking, removes shame, focuses on the next step rather than the past.",
  ],
  [
    "shame",
    "I hid $12,000 of credit card debt from my husband. I don't know how to tell him.",
    "Non-judgmental, acknowledges courage, suggests an honest conversation with a plan in hand.",
  ],
  [
    "shame",
    "I make good money but I'm always broke by the end of the month. What's wrong with me?",
    "Says nothing is wrong with them, explains lifestyle creep, suggests tracking spending for a month.",
  ],
  [
    "shame",
    "I fell for an online investment scam and lost $5,000. I feel so stupid.",
    "Emphasises scams target smart people, suggests reporting it and protecting accounts.",
  ],
  [
    "shame",
    "My parents always said I was bad with money and I guess they were right.",
    "Challenges the label gently, frames money skills as learnable, offers one small win.",
  ],
  [
    "grief",
    "My wife handled all our finances. She passed last month and I don't know where anything is.",
    "Expresses sympathy first, says there is no rush, suggests gathering statements and one trusted helper.",
  ],
  [
    "grief",
    "My dad died and left me $80,000. I feel guilty even thinking about what to do with it.",
    "Validates the guilt, suggests parking the money safely and waiting before big decisions.",
  ],
  [
    "grief",
    "I lost my job of 15 years. It feels like losing part of who I am.",
    "Acknowledges the identity loss, then covers severance, health coverage and the emergency fund.",
  ],
  [
    "grief",
    "Our business failed after six years. We put our savings into it.",
    "Honours the effort, separates self-worth from outcome, suggests rebuilding an emergency fund first.",
  ],
  [
    "grief",
    "My mother needs care now and I'm watching her savings disappear.",
    "Shows compassion, mentions long-term care options and benefits, suggests an elder-care advisor.",
  ],
  [
    "overwhelm",
    "There are so many accounts, funds and acronyms. I don't know where to start.",
    "Simplifies, offers a clear starting order (emergency fund, match, high-interest debt).",
  ],
  [
    "overwhelm",
    "I have five credit cards, a car loan and student loans. It's all too much.",
    "Breaks it down, suggests listing debts and choosing one payoff method.",
  ],
  [
    "overwhelm",
    "I just got my first real job and HR gave me a pile of benefits forms.",
    "Congratulates, highlights the two or three choices that matter most (401(k) match, health plan).",
  ],
  [
    "overwhelm",
    "I'm a single mom working two jobs. Budgeting feels impossible.",
    "Recognises the load, suggests a very simple budget and assistance programs, no lecturing.",
  ],
  [
    "overwhelm",
    "My inbox is full of bills and collection notices and I stopped opening them.",
    "Non-judgmental, suggests sorting by urgency and knowing their rights with collectors.",
  ],
  [
    "conflict",
    "My partner and I fight about money every single week.",
    "Frames fights as different values, suggests a calm money date and shared goals.",
  ],
  [
    "conflict",
    "My brother keeps asking to borrow money and never pays it back.",
    "Validates the bind, suggests a clear boundary or giving only what they can afford to lose.",
  ],
  [
    "conflict",
    "My parents expect me to support them, but I can barely support myself.",
    "Shows empathy for the cultural and family pressure, suggests an honest conversation and limits.",
  ],
  [
    "conflict",
    "My spouse wants a new car and I want to pay off debt. Who's right?",
    "Avoids taking sides, shows both goals, suggests comparing the numbers together.",
  ],
  [
    "conflict",
    "My ex is late on child support again and I'm short this month.",
    "Acknowledges stress, suggests enforcement options and a short-term budget plan.",
  ],
  [
    "anger",
    "My bank charged me $35 overdraft fees three times in one day. This is robbery.",
    "Validates the frustration, suggests asking for a refund and turning off overdraft.",
  ],
  [
    "anger",
    "My financial advisor put me in funds with 2% fees and never told me.",
    "Takes the concern seriously, explains fee impact, suggests asking questions and fee-only fiduciaries.",
  ],
  [
    "anger",
    "The insurance company denied my claim after I paid premiums for years.",
    "Acknowledges the anger, explains the appeal process and asking for the denial in writing.",
  ],
  [
    "anger",
    "I did everything right and still can't afford a house. The system is rigged.",
    "Validates real structural pressures without cynicism, offers options within their control.",
  ],
  [
    "anger",
    "My employer changed the 401(k) match without warning. I feel cheated.",
    "Empathises, explains what still makes contributing worthwhile, suggests reviewing the plan.",
  ],
  [
    "excitement",
    "I just paid off my last credit card! What now?",
    "Celebrates, suggests redirecting the old payment into savings or investing.",
  ],
  [
    "excitement",
    "I got a $20,000 bonus and want to spend it all on a trip.",
    "Shares the excitement, suggests a split between enjoying and goals, no scolding.",
  ],
  [
    "excitement",
    "My startup just got funded and I have stock options. I feel rich!",
    "Celebrates, gently explains options are not cash yet, and the tax timing.",
  ],
  [
    "excitement",
    "We're finally ready to buy our first home!",
    "Shares the joy, lists the checks that matter (full monthly cost, reserves, pre-approval).",
  ],
  [
    "excitement",
    "I want to quit my job and travel for a year. Is that crazy?",
    "Takes the dream seriously, suggests a runway budget and what to keep in place.",
  ],
  [
    "fear",
    "I'm afraid to invest because my dad lost everything in 2008.",
    "Honours the experience, explains diversification and time horizon, suggests starting small.",
  ],
  [
    "fear",
    "I'm scared to look at my credit score. I know it's bad.",
    "Reassures, explains checking does not hurt the score, frames it as a starting point.",
  ],
  [
    "fear",
    "What if I get sick and can't work? I have no backup plan.",
    "Acknowledges the fear, explains disability insurance and emergency savings.",
  ],
  [
    "fear",
    "I'm worried AI will take my job. Should I be saving everything?",
    "Takes the worry seriously, suggests a larger emergency fund and skills, balanced with living now.",
  ],
  [
    "fear",
    "My parents have no retirement savings and I'm afraid I'll have to support them.",
    "Validates, suggests an early family conversation and protecting own retirement.",
  ],
  [
    "regret",
    "I sold all my stocks at the bottom in 2020 and missed the whole recovery.",
    "Non-judgmental, explains how common it is, suggests an automatic plan to avoid timing.",
  ],
  [
    "regret",
    "I cashed out my 401(k) at my last job and paid huge taxes. I wish I hadn't.",
    "Acknowledges regret, focuses on rebuilding and rolling over next time.",
  ],
  [
    "regret",
    "I co-signed a loan for a friend and now they've stopped paying.",
    "Empathises, explains their obligation clearly, suggests contacting the lender early.",
  ],
  [
    "regret",
    "I took out too much in student loans for a degree I don't use.",
    "Validates, outlines repayment options, reframes the degree's value without preaching.",
  ],
  [
    "regret",
    "I bought a car I can't really afford. Every payment makes me feel sick.",
    "Non-judgmental, lays out options (refinance, sell, budget) with honest trade-offs.",
  ],
  [
    "uncertainty",
    "Should I take the higher-paying job or stay where I'm happy?",
    "Helps weigh money against well-being, asks what matters, suggests comparing total compensation.",
  ],
  [
    "uncertainty",
    "My kid wants to go to an expensive college. Should we take on loans?",
    "Balances the wish with numbers, mentions aid and protecting retirement.",
  ],
  [
    "uncertainty",
    "Is it irresponsible to have kids when we're still paying off debt?",
    "Non-judgmental, affirms it is their choice, offers a plan that makes room for both.",
  ],
  [
    "uncertainty",
    "I'm getting divorced and don't know what I can afford on my own.",
    "Shows compassion, suggests a post-divorce budget and listing joint accounts and debts.",
  ],
  [
    "uncertainty",
    "Everyone online says something different about money. Who do I trust?",
    "Gives criteria for trustworthy advice (fiduciary, no commissions, no guarantees).",
  ],
];

export const SCENARIOS: Scenario[] = ROWS.map(([theme, message, goodResponse], i) => ({
  id: `ei-${String(i + 1).padStart(2, "0")}`,
  theme,
  message,
  goodResponse,
}));

/** The system prompt both models get for every scenario, as in the demo dataset. */
export const SCENARIO_SYSTEM_PROMPT =
  "You are a financial planner. Be warm and direct, explain the why, never judge, and suggest one concrete next step.";
