// The knowledge-retention test: 100 financial-literacy questions (taxes,
// retirement, investing, insurance), four options each, exactly one correct.
// Written to stay true across years: no contribution limits or brackets that
// change with inflation, only rules and definitions that have held for decades
// (US rules where a country is needed). Each has a one-line explanation that
// the report's appendix shows next to wrong answers.
export type KnowledgeCategory = "taxes" | "retirement" | "investing" | "insurance";

export type KnowledgeQuestion = {
  id: string;
  category: KnowledgeCategory;
  question: string;
  options: [string, string, string, string];
  /** Index of the correct option. */
  answer: 0 | 1 | 2 | 3;
  explanation: string;
};

type Row = [question: string, options: [string, string, string, string], answer: 0 | 1 | 2 | 3, explanation: string];

const TAXES: Row[] = [
  [
    "What is the difference between a tax credit and a tax deduction?",
    [
      "A credit reduces the tax owed dollar for dollar; a deduction reduces taxable income",
      "A deduction reduces the tax owed dollar for dollar; a credit reduces taxable income",
      "They are two names for the same thing",
      "Credits apply only to businesses and deductions only to individuals",
    ],
    0,
    "A $1,000 credit cuts the bill by $1,000; a $1,000 deduction cuts it by $1,000 times your marginal rate.",
  ],
  [
    "Under a progressive income tax, what happens when a raise moves you into a higher bracket?",
    [
      "Only the income above the bracket threshold is taxed at the higher rate",
      "All of your income becomes taxed at the higher rate",
      "Your take-home pay always goes down",
      "You stop paying tax on the income in lower brackets",
    ],
    0,
    "Brackets apply to slices of income, so a raise never lowers take-home pay through the rate change.",
  ],
  [
    "What is a marginal tax rate?",
    [
      "The rate paid on your next dollar of income",
      "Your total tax divided by your total income",
      "The rate charged on investment losses",
      "The lowest rate in the tax schedule",
    ],
    0,
    "The marginal rate applies to the last (or next) dollar earned; total tax over income is the effective rate.",
  ],
  [
    "What is an effective tax rate?",
    [
      "Total tax paid divided by total income",
      "The rate on your highest dollar of income",
      "The rate your employer withholds",
      "The rate on long-term capital gains",
    ],
    0,
    "The effective rate averages over all brackets and is lower than the top marginal rate.",
  ],
  [
    "In the United States, how long must you hold an investment for its gain to count as long-term?",
    ["More than one year", "More than one month", "More than five years", "More than ten years"],
    0,
    "Assets held more than a year get long-term capital gains treatment.",
  ],
  [
    "How are short-term capital gains taxed in the United States?",
    ["At the same rates as ordinary income", "Always at 0%", "At a flat 50%", "They are not taxed"],
    0,
    "Gains on assets held a year or less are taxed as ordinary income.",
  ],
  [
    "What does the wash-sale rule prevent?",
    [
      "Claiming a loss when you buy the same security within 30 days before or after selling it",
      "Selling a stock you have held for less than a year",
      "Buying shares of a fund more than once a month",
      "Donating stock to charity",
    ],
    0,
    "A loss is disallowed when substantially identical securities are bought within 30 days of the sale.",
  ],
  [
    "How much net capital loss can a US taxpayer deduct against ordinary income in one year?",
    ["Up to $3,000, with the rest carried forward", "None at all", "Any amount, without limit", "Exactly the amount of their salary"],
    0,
    "Net capital losses offset up to $3,000 of ordinary income a year; the excess carries forward.",
  ],
  [
    "What does a tax refund usually mean?",
    [
      "More tax was withheld or prepaid during the year than was owed",
      "The government is paying you a bonus for filing early",
      "You earned less than the year before",
      "You will owe a penalty next year",
    ],
    0,
    "A refund returns overpaid tax; it is your own money coming back.",
  ],
  [
    "Which form does a US employee give an employer to set income tax withholding?",
    ["Form W-4", "Form W-2", "Form 1099", "Form 1040-ES"],
    0,
    "The W-4 tells the employer how much to withhold; the W-2 reports wages after the year ends.",
  ],
  [
    "What does a W-2 form report?",
    [
      "An employee's annual wages and the taxes withheld",
      "A freelancer's business expenses",
      "Interest paid on a mortgage",
      "Contributions to a health savings account only",
    ],
    0,
    "Employers send a W-2 after year end showing wages and withholding.",
  ],
  [
    "Who typically needs to make quarterly estimated tax payments?",
    [
      "Self-employed people whose income has no tax withheld",
      "Every salaried employee",
      "Only retirees on Social Security",
      "Only people who receive a tax refund",
    ],
    0,
    "Without withholding, income tax is paid through quarterly estimates to avoid underpayment penalties.",
  ],
  [
    "What does FICA fund?",
    ["Social Security and Medicare", "State income taxes", "Unemployment benefits only", "Federal student loans"],
    0,
    "FICA payroll taxes pay for Social Security and Medicare.",
  ],
  [
    "When does itemizing deductions make sense instead of taking the standard deduction?",
    [
      "When your itemized deductions add up to more than the standard deduction",
      "Always, because it is required for homeowners",
      "Never, because itemizing is only for businesses",
      "Only when you have no income",
    ],
    0,
    "You choose the larger of the two; itemizing pays only when it exceeds the standard deduction.",
  ],
  [
    "Interest from municipal bonds is generally:",
    [
      "Exempt from federal income tax",
      "Taxed at double the ordinary rate",
      "Taxed as a short-term capital gain",
      "Subject to a 10% penalty",
    ],
    0,
    "Most municipal bond interest is free of federal income tax and sometimes state tax.",
  ],
  [
    "How are qualified dividends taxed in the United States?",
    [
      "At the lower long-term capital gains rates",
      "At twice the ordinary income rate",
      "They are never taxed",
      "Only when the stock is sold",
    ],
    0,
    "Qualified dividends get the same preferential rates as long-term gains.",
  ],
  [
    "What is tax-loss harvesting?",
    [
      "Selling investments at a loss to offset taxable gains",
      "Delaying your tax return to the following year",
      "Buying stocks only in December",
      "Moving money between bank accounts to avoid tax",
    ],
    0,
    "Realised losses offset realised gains and up to $3,000 of ordinary income.",
  ],
  [
    "Which account lets money grow and be withdrawn for qualified medical costs tax-free, with deductible contributions?",
    ["A health savings account (HSA)", "A regular brokerage account", "A checking account", "A certificate of deposit"],
    0,
    "An HSA is triple tax-advantaged: deductible in, tax-free growth, tax-free out for medical costs.",
  ],
  [
    "What is a 1099 form generally used for?",
    [
      "Reporting income other than wages, such as freelance pay or interest",
      "Requesting a tax extension",
      "Setting employee withholding",
      "Claiming a dependent",
    ],
    0,
    "Payers report non-wage income such as contract pay, interest and dividends on 1099 forms.",
  ],
  [
    "What does filing a tax extension in the United States give you?",
    [
      "More time to file the return, but not more time to pay tax owed",
      "More time to pay without any interest",
      "Forgiveness of penalties already owed",
      "A lower tax rate",
    ],
    0,
    "An extension delays the filing deadline; tax due is still owed by the original date.",
  ],
  [
    "What makes a tax credit refundable?",
    [
      "Any part of it larger than the tax you owe is paid to you",
      "It can only reduce your tax to zero",
      "It reduces taxable income instead of tax",
      "It must be paid back the following year",
    ],
    0,
    "A refundable credit beyond your tax liability is paid out to you; a non-refundable one stops at zero.",
  ],
  [
    "Capital gains taxes are owed on a stock when:",
    ["You sell it for more than you paid", "Its price rises, even if you do not sell", "You buy it", "It pays no dividend"],
    0,
    "Gains are taxed when realised by a sale, not while they are only on paper.",
  ],
  [
    "What is the cost basis of an investment?",
    [
      "What you paid for it, used to calculate gain or loss when you sell",
      "Its current market price",
      "The fee your broker charges each year",
      "The dividend it pays each quarter",
    ],
    0,
    "Gain or loss equals sale proceeds minus cost basis.",
  ],
  [
    "Contributions to a traditional 401(k) are usually made:",
    [
      "Before income tax, lowering this year's taxable income",
      "After income tax, with tax-free withdrawals later",
      "Only by the employer",
      "With money that can never be withdrawn",
    ],
    0,
    "Traditional contributions are pre-tax; withdrawals are taxed later.",
  ],
  [
    "Why might someone choose a Roth account over a traditional one?",
    [
      "They expect their tax rate in retirement to be the same or higher than now",
      "They want a tax deduction this year",
      "They plan to withdraw everything next year",
      "They want to avoid paying tax ever on any income",
    ],
    0,
    "Roth accounts pay tax now so qualified withdrawals are tax-free later, which wins when future rates are higher.",
  ],
];

const RETIREMENT: Row[] = [
  [
    "What is an employer 401(k) match?",
    [
      "Money the employer adds to your account when you contribute",
      "A fee the employer charges for running the plan",
      "A loan from your employer",
      "A penalty for withdrawing early",
    ],
    0,
    "A match is extra compensation paid into your account in proportion to your contributions.",
  ],
  [
    "What is usually the first retirement-saving priority for an employee with a 401(k) match?",
    [
      "Contribute at least enough to get the full match",
      "Contribute nothing until all debt is paid",
      "Put everything into a savings account",
      "Wait until age 50 to start",
    ],
    0,
    "An employer match is an immediate return that is hard to beat anywhere else.",
  ],
  [
    "In the United States, what is the usual penalty for withdrawing from a 401(k) or IRA before age 59½?",
    [
      "10% on top of income tax, unless an exception applies",
      "There is never any penalty",
      "The entire balance is forfeited",
      "A flat $50 fee",
    ],
    0,
    "Early withdrawals generally incur a 10% additional tax plus ordinary income tax.",
  ],
  [
    "Qualified withdrawals from a Roth IRA in retirement are:",
    ["Tax-free", "Taxed as ordinary income", "Taxed at 50%", "Taxed as short-term capital gains"],
    0,
    "Roth contributions were taxed going in, so qualified withdrawals come out tax-free.",
  ],
  [
    "What can you withdraw from a Roth IRA at any time without tax or penalty?",
    ["Your own contributions", "Only the investment earnings", "Nothing before age 70", "Only the employer match"],
    0,
    "Roth contributions (not earnings) can be taken out at any time without tax or penalty.",
  ],
  [
    "What does the '4% rule' describe?",
    [
      "A starting withdrawal rate from savings that historically lasted about 30 years",
      "The maximum stock allocation for retirees",
      "The interest rate on Social Security",
      "The fee limit for retirement funds",
    ],
    0,
    "Withdrawing about 4% in year one, adjusted for inflation, historically sustained 30-year retirements.",
  ],
  [
    "Using the 4% rule, roughly how much should you save to spend $40,000 a year from savings?",
    ["About $1,000,000", "About $100,000", "About $160,000", "About $4,000,000"],
    0,
    "$40,000 is 4% of $1,000,000, which is 25 times annual spending.",
  ],
  [
    "What is a defined-benefit pension?",
    [
      "A plan that promises a set income in retirement based on salary and years of service",
      "A personal account whose value depends on your investments",
      "A savings account for medical costs",
      "A type of life insurance",
    ],
    0,
    "Defined-benefit plans promise the payout; defined-contribution plans like a 401(k) depend on contributions and returns.",
  ],
  [
    "A 401(k) is an example of which kind of plan?",
    ["Defined contribution", "Defined benefit", "Whole life insurance", "Annuity with guaranteed payments"],
    0,
    "In a 401(k) the contributions are defined and the final balance depends on investment results.",
  ],
  [
    "What does 'vesting' mean in an employer retirement plan?",
    [
      "When employer contributions become fully yours to keep",
      "When you are allowed to open the account",
      "When the plan charges its annual fee",
      "When you must start withdrawals",
    ],
    0,
    "Vesting schedules decide when employer money belongs to you; your own contributions are always yours.",
  ],
  [
    "What is a target-date fund?",
    [
      "A fund that shifts from stocks toward bonds as a chosen retirement year approaches",
      "A fund that guarantees a fixed return by a date",
      "A savings account that locks money until a date",
      "A fund that invests only in one company",
    ],
    0,
    "Target-date funds automatically become more conservative over time.",
  ],
  [
    "What are catch-up contributions?",
    [
      "Extra contributions allowed for savers aged 50 and older",
      "Contributions the employer makes for missed years",
      "Penalties for late contributions",
      "Loans taken from a retirement account",
    ],
    0,
    "Savers 50 and over may contribute more than the regular limit.",
  ],
  [
    "For people born in 1960 or later, what is the full retirement age for Social Security?",
    ["67", "62", "60", "75"],
    0,
    "Full retirement age is 67 for anyone born in 1960 or later.",
  ],
  [
    "What happens to your Social Security benefit if you claim at 62 instead of full retirement age?",
    ["It is permanently reduced", "It is permanently increased", "It stays exactly the same", "It is paid only for five years"],
    0,
    "Claiming early reduces the monthly benefit for life.",
  ],
  [
    "What happens to your Social Security benefit if you delay claiming past full retirement age, up to 70?",
    ["It grows for each year you wait", "It shrinks for each year you wait", "It is lost entirely", "It becomes taxable at 100%"],
    0,
    "Delayed retirement credits raise the benefit for each year of delay up to age 70.",
  ],
  [
    "At what age do most Americans first become eligible for Medicare?",
    ["65", "55", "59½", "72"],
    0,
    "Medicare eligibility generally begins at 65.",
  ],
  [
    "What is the safest way to move a 401(k) to an IRA when changing jobs?",
    [
      "A direct rollover from the plan to the IRA",
      "Cashing it out and depositing the cash a year later",
      "Leaving it unclaimed",
      "Withdrawing it as a loan",
    ],
    0,
    "A direct (trustee-to-trustee) rollover avoids withholding and penalties.",
  ],
  [
    "What is sequence-of-returns risk?",
    [
      "The danger that poor market returns early in retirement deplete savings faster",
      "The risk that interest rates never change",
      "The risk of choosing the wrong beneficiary",
      "The chance that a fund closes to new investors",
    ],
    0,
    "Losses early in retirement, while withdrawing, do more lasting damage than the same losses later.",
  ],
  [
    "Why does starting to save for retirement early matter so much?",
    [
      "Compound growth has more years to work",
      "Early contributions are not taxed ever",
      "Accounts opened early pay higher interest by law",
      "It does not matter when you start",
    ],
    0,
    "Returns earn returns; more years multiply the effect.",
  ],
  [
    "What does an annuity typically provide?",
    [
      "A stream of income payments, often for life, in exchange for a lump sum or premiums",
      "A guaranteed doubling of your money",
      "Free health insurance",
      "A tax deduction for every purchase",
    ],
    0,
    "An annuity converts money into periodic payments, often lifelong.",
  ],
  [
    "A traditional IRA withdrawal in retirement is generally:",
    ["Taxed as ordinary income", "Completely tax-free", "Taxed only if the account lost money", "Taxed at a flat 10%"],
    0,
    "Traditional IRA money was not taxed going in, so withdrawals are taxed as income.",
  ],
  [
    "What is a common rule of thumb for retirement savings by age 40?",
    ["About three times your annual salary", "About one month of salary", "About twenty times your salary", "No savings are needed by 40"],
    0,
    "Many planners suggest roughly three times salary saved by 40 as a benchmark.",
  ],
  [
    "Which of these most directly protects a retirement plan from a market crash right before retiring?",
    [
      "Gradually shifting some money from stocks into bonds and cash",
      "Moving everything into a single stock",
      "Stopping all contributions at age 30",
      "Borrowing against the account",
    ],
    0,
    "Lowering stock exposure near retirement reduces the impact of a crash when you need the money.",
  ],
  [
    "What is a solo 401(k) designed for?",
    [
      "Self-employed people with no employees other than a spouse",
      "Large companies with thousands of staff",
      "Children under 18",
      "Paying for college",
    ],
    0,
    "A solo 401(k) lets a self-employed person contribute as both employer and employee.",
  ],
  [
    "Why is cashing out a 401(k) when changing jobs usually a poor choice?",
    [
      "It triggers income tax and often a 10% penalty, and loses future growth",
      "It is illegal",
      "The money is paid to the new employer",
      "It raises your Social Security benefit too much",
    ],
    0,
    "Cashing out costs taxes, possibly a penalty, and years of tax-deferred growth.",
  ],
];

const INVESTING: Row[] = [
  [
    "What is an index fund?",
    [
      "A fund that holds the securities of a market index to match its return",
      "A fund managed to beat the market by picking a few stocks",
      "A bank account with a fixed interest rate",
      "A loan to a government",
    ],
    0,
    "Index funds track an index such as the S&P 500 at low cost.",
  ],
  [
    "What does diversification do?",
    [
      "Spreads money across many investments to reduce the impact of any one failing",
      "Guarantees that you never lose money",
      "Concentrates money in the best-performing stock",
      "Eliminates all investment fees",
    ],
    0,
    "Diversification reduces company-specific risk; it cannot remove market risk.",
  ],
  [
    "What is an expense ratio?",
    [
      "The yearly fee a fund charges as a percentage of your investment",
      "The ratio of a company's expenses to its revenue",
      "The tax rate on fund dividends",
      "The commission for opening an account",
    ],
    0,
    "Expense ratios are charged every year and compound against you.",
  ],
  [
    "When interest rates rise, what usually happens to the prices of existing bonds?",
    ["They fall", "They rise", "They stay exactly the same", "They double"],
    0,
    "Existing bonds with lower coupons become less attractive, so their prices fall.",
  ],
  [
    "What is a bond?",
    [
      "A loan to a company or government that pays interest",
      "A share of ownership in a company",
      "An insurance policy on your home",
      "A type of savings account with no interest",
    ],
    0,
    "Bondholders are lenders; stockholders are owners.",
  ],
  [
    "What does owning a share of stock represent?",
    ["Partial ownership of a company", "A loan to the company", "A guaranteed monthly payment", "An insurance contract"],
    0,
    "A share is a slice of ownership with a claim on profits.",
  ],
  [
    "Using the rule of 72, roughly how long does money take to double at 8% a year?",
    ["About 9 years", "About 4 years", "About 18 years", "About 72 years"],
    0,
    "72 divided by 8 is 9.",
  ],
  [
    "$1,000 earning 10% a year, compounded annually, is worth how much after two years?",
    ["$1,210", "$1,200", "$1,100", "$2,000"],
    0,
    "1,000 × 1.1 × 1.1 = 1,210: the second year earns interest on the first year's interest.",
  ],
  [
    "What is dollar-cost averaging?",
    [
      "Investing a fixed amount at regular intervals regardless of price",
      "Buying only when prices hit a new low",
      "Converting investments into dollars before selling",
      "Averaging the fees of several funds",
    ],
    0,
    "Regular fixed investments buy more shares when prices are low and fewer when high.",
  ],
  [
    "What is a dividend?",
    [
      "A share of company profits paid to shareholders",
      "A fee paid to a broker",
      "The interest on a savings account",
      "A tax on investment gains",
    ],
    0,
    "Companies may distribute part of their profits as dividends.",
  ],
  [
    "What is an exchange-traded fund (ETF)?",
    [
      "A basket of securities that trades on an exchange like a stock",
      "A bank deposit insured by the government",
      "A contract to buy currency in the future",
      "A single company's bond",
    ],
    0,
    "ETFs hold many securities and trade throughout the day.",
  ],
  [
    "What is the 'real' return on an investment?",
    [
      "The return after subtracting inflation",
      "The return before fees",
      "The return in the best year",
      "The return promised by the seller",
    ],
    0,
    "Real return measures growth in purchasing power.",
  ],
  [
    "If your savings earn 2% while inflation is 3%, what happens to your purchasing power?",
    ["It falls by about 1% a year", "It rises by about 5% a year", "It stays the same", "It rises by about 1% a year"],
    0,
    "Prices rise faster than the balance, so the money buys less.",
  ],
  [
    "What is asset allocation?",
    [
      "How your money is divided among stocks, bonds, cash and other asset types",
      "The choice of which bank holds your account",
      "A tax form for investors",
      "A fee charged by advisors",
    ],
    0,
    "Allocation across asset classes drives most of a portfolio's risk and return.",
  ],
  [
    "What does rebalancing a portfolio mean?",
    [
      "Selling some of what grew and buying what lagged to return to target weights",
      "Moving all money into cash once a year",
      "Changing banks every year",
      "Buying only the best performer of last year",
    ],
    0,
    "Rebalancing restores the intended mix of risk.",
  ],
  [
    "Generally, which has had higher long-term average returns, with more year-to-year swings?",
    ["Stocks", "Savings accounts", "Short-term government bills", "Cash under the mattress"],
    0,
    "Stocks have historically returned more over long periods, with larger fluctuations.",
  ],
  [
    "What does a price-to-earnings (P/E) ratio compare?",
    [
      "A stock's price with the company's earnings per share",
      "A bond's price with its interest rate",
      "A fund's fees with its returns",
      "A company's debt with its assets",
    ],
    0,
    "P/E is price divided by earnings per share.",
  ],
  [
    "Why is putting most of your savings into your employer's stock risky?",
    [
      "Your job and your savings would depend on the same company",
      "Employer stock cannot be sold",
      "It is taxed at 90%",
      "Employers may take the shares back at any time",
    ],
    0,
    "A single company failing could cost you both your income and your savings.",
  ],
  [
    "What is a mutual fund?",
    [
      "A pooled investment that buys many securities for its investors",
      "A loan shared between friends",
      "A government pension",
      "A savings account at a credit union",
    ],
    0,
    "Mutual funds pool investors' money into a managed portfolio.",
  ],
  [
    "Compared with actively managed funds, low-cost index funds over long periods have:",
    ["Outperformed most active funds after fees", "Always lost money", "Been illegal for retail investors", "Guaranteed returns"],
    0,
    "Most active funds trail their index after fees over long horizons.",
  ],
  [
    "What is the main purpose of an emergency fund?",
    [
      "To cover unexpected expenses without selling investments or borrowing",
      "To buy stocks when prices drop",
      "To pay for holidays",
      "To earn the highest possible return",
    ],
    0,
    "Cash reserves keep short-term needs from forcing bad long-term decisions.",
  ],
  [
    "What does 'liquidity' mean for an investment?",
    [
      "How quickly it can be turned into cash without losing value",
      "How much interest it pays",
      "How risky it is",
      "How much tax it generates",
    ],
    0,
    "Cash is highly liquid; real estate is not.",
  ],
  [
    "A 1% yearly fee versus a 0.1% fee on the same fund over 30 years will:",
    [
      "Leave you with noticeably less money because the fee compounds",
      "Make no difference at all",
      "Give you more money because higher fees mean better management",
      "Only matter in the first year",
    ],
    0,
    "Fees reduce the compounding base every year, so the gap widens over time.",
  ],
  [
    "What is a stock market index such as the S&P 500?",
    [
      "A measure that tracks the prices of a defined group of stocks",
      "A single company's share price",
      "An interest rate set by the central bank",
      "A type of insurance for investors",
    ],
    0,
    "An index summarises a group of stocks' performance.",
  ],
  [
    "Selling investments after a market drop most often leads to:",
    ["Locking in losses and missing the recovery", "Guaranteed profits", "Lower taxes in every case", "Higher dividends"],
    0,
    "Panic selling turns temporary paper losses into permanent ones.",
  ],
];

const INSURANCE: Row[] = [
  [
    "What is an insurance premium?",
    [
      "The amount you pay to keep the policy in force",
      "The amount the insurer pays on a claim",
      "The part of a loss you pay before coverage starts",
      "A bonus for not making claims",
    ],
    0,
    "Premiums are the regular payments for coverage.",
  ],
  [
    "What is a deductible?",
    [
      "The amount you pay out of pocket before insurance pays",
      "The monthly price of the policy",
      "The maximum the insurer will pay",
      "A discount for paying early",
    ],
    0,
    "You cover losses up to the deductible; the insurer pays beyond it.",
  ],
  [
    "Raising your deductible usually does what to your premium?",
    ["Lowers it", "Raises it", "Has no effect", "Doubles it"],
    0,
    "Taking on more of each loss yourself makes coverage cheaper.",
  ],
  [
    "What is term life insurance?",
    [
      "Coverage for a set period that pays only if you die during it",
      "Coverage for your whole life with a savings component",
      "Insurance on a car for a fixed term",
      "A retirement savings account",
    ],
    0,
    "Term life is pure protection for a fixed number of years.",
  ],
  [
    "How does whole life insurance differ from term life?",
    [
      "It lasts for life and builds cash value, at a much higher premium",
      "It is cheaper and ends after ten years",
      "It only covers accidents",
      "It pays out only if you outlive the policy",
    ],
    0,
    "Whole life combines lifelong coverage with a savings element and costs more.",
  ],
  [
    "Who most needs life insurance?",
    ["People whose income others depend on", "Children with no dependants", "Single people with no debts or dependants", "Anyone over 90"],
    0,
    "Life insurance replaces income for people who rely on it.",
  ],
  [
    "What does disability insurance replace?",
    [
      "Part of your income if illness or injury stops you working",
      "Your car if it is stolen",
      "Your home if it floods",
      "Your investments if the market falls",
    ],
    0,
    "Disability cover protects your earning power.",
  ],
  [
    "What is the elimination period in a disability insurance policy?",
    [
      "The waiting time after becoming disabled before benefits start",
      "The time after which the policy is cancelled",
      "The period when premiums are free",
      "The age when coverage ends",
    ],
    0,
    "Longer elimination periods mean lower premiums and a longer wait for benefits.",
  ],
  [
    "Does a standard US homeowners policy usually cover flood damage?",
    [
      "No, flood insurance is bought separately",
      "Yes, always, at no extra cost",
      "Only for homes near the coast",
      "Only if the flood happens on a weekend",
    ],
    0,
    "Standard policies exclude flood; separate flood coverage is needed.",
  ],
  [
    "What does renters insurance mainly cover?",
    ["The tenant's belongings and personal liability", "The building's structure", "The landlord's lost rent", "The tenant's car"],
    0,
    "The landlord insures the building; renters insurance covers your things and liability.",
  ],
  [
    "What does auto liability coverage pay for?",
    [
      "Injuries and damage you cause to other people and their property",
      "Repairs to your own car after any accident",
      "Your car being stolen",
      "Routine maintenance",
    ],
    0,
    "Liability protects others you harm; collision and comprehensive cover your own car.",
  ],
  [
    "Which auto coverage pays to repair your own car after you hit another vehicle?",
    ["Collision", "Liability", "Comprehensive", "Uninsured motorist"],
    0,
    "Collision covers your car in a crash, regardless of fault.",
  ],
  [
    "Which auto coverage usually pays if your car is stolen or damaged by hail?",
    ["Comprehensive", "Collision", "Liability", "Personal injury protection"],
    0,
    "Comprehensive covers non-collision losses like theft, fire and weather.",
  ],
  [
    "What does uninsured motorist coverage protect you from?",
    [
      "Costs when a driver without enough insurance hits you",
      "Fines for driving without a licence",
      "Rising fuel prices",
      "Your own speeding tickets",
    ],
    0,
    "It pays when the at-fault driver cannot.",
  ],
  [
    "What is an out-of-pocket maximum in a health plan?",
    [
      "The most you pay for covered care in a year, after which the plan pays 100%",
      "The most the insurer will ever pay",
      "The monthly premium",
      "The cost of one doctor visit",
    ],
    0,
    "Once you reach it, covered services cost you nothing more that year.",
  ],
  [
    "What is coinsurance in a health plan?",
    [
      "Your percentage share of costs after the deductible",
      "A second insurance company you must buy",
      "A flat fee for a doctor visit",
      "A refund for unused coverage",
    ],
    0,
    "With 20% coinsurance you pay 20% of covered costs after the deductible.",
  ],
  [
    "What is a copay?",
    [
      "A fixed amount you pay for a covered service, like a doctor visit",
      "The yearly premium",
      "The total cost of a hospital stay",
      "A penalty for late payment",
    ],
    0,
    "Copays are flat fees per service.",
  ],
  [
    "Why does using in-network providers usually cost less?",
    [
      "The insurer has negotiated lower prices with them",
      "Out-of-network doctors are not licensed",
      "In-network care is never covered",
      "In-network providers are always free",
    ],
    0,
    "Negotiated rates and better coverage apply inside the network.",
  ],
  [
    "What does an umbrella insurance policy provide?",
    [
      "Extra liability coverage above your home and auto limits",
      "Coverage for weather damage only",
      "Health insurance while travelling",
      "A savings account for emergencies",
    ],
    0,
    "Umbrella policies add liability protection on top of other policies.",
  ],
  [
    "What does long-term care insurance help pay for?",
    [
      "Extended help with daily living, such as a nursing home or home care",
      "Short hospital stays only",
      "Dental cleanings",
      "Funeral costs",
    ],
    0,
    "Long-term care cover pays for assistance that health insurance and Medicare largely do not.",
  ],
  [
    "On a conventional mortgage, private mortgage insurance (PMI) is usually required when:",
    [
      "The down payment is less than 20% of the home's price",
      "The buyer has perfect credit",
      "The home is paid in cash",
      "The buyer already owns another home",
    ],
    0,
    "PMI protects the lender when the borrower has less than 20% equity.",
  ],
  [
    "What is a life insurance beneficiary?",
    [
      "The person or entity who receives the payout",
      "The person whose life is insured",
      "The insurance agent",
      "The company that issues the policy",
    ],
    0,
    "Beneficiaries receive the death benefit; keep them up to date.",
  ],
  [
    "What does 'replacement cost' coverage pay for damaged property?",
    [
      "The cost to replace it with a similar new item",
      "Its depreciated value at the time of loss",
      "Nothing until the item is ten years old",
      "Only half its original price",
    ],
    0,
    "Replacement cost pays for new items; actual cash value subtracts depreciation.",
  ],
  [
    "What does 'actual cash value' coverage pay?",
    [
      "Replacement cost minus depreciation",
      "The price of a brand-new item",
      "Double the purchase price",
      "A fixed amount regardless of the item",
    ],
    0,
    "Actual cash value accounts for wear and age.",
  ],
  [
    "Why is it risky to go without health insurance even if you are young and healthy?",
    [
      "One accident or serious illness can cause very large medical bills",
      "It is impossible to see a doctor without insurance",
      "Young people pay the highest premiums",
      "Health insurance also covers car repairs",
    ],
    0,
    "Insurance protects against rare but financially devastating events.",
  ],
];

function build(category: KnowledgeCategory, rows: Row[], prefix: string): KnowledgeQuestion[] {
  return rows.map(([question, options, answer, explanation], i) => ({
    id: `${prefix}-${String(i + 1).padStart(2, "0")}`,
    category,
    question,
    options,
    answer,
    explanation,
  }));
}

/**
 * The correct option is written first above for legibility; each question's
 * options are then rotated by a fixed amount so the right answer sits in every
 * position equally often and a model favouring "the first option" gains nothing.
 */
function rotate(q: KnowledgeQuestion, index: number): KnowledgeQuestion {
  const shift = index % 4;
  const options = q.options.map((_, i) => q.options[(i - shift + 4) % 4]) as KnowledgeQuestion["options"];
  return { ...q, options, answer: ((q.answer + shift) % 4) as KnowledgeQuestion["answer"] };
}

export const KNOWLEDGE_QUESTIONS: KnowledgeQuestion[] = [
  ...build("taxes", TAXES, "tax"),
  ...build("retirement", RETIREMENT, "ret"),
  ...build("investing", INVESTING, "inv"),
  ...build("insurance", INSURANCE, "ins"),
].map(rotate);
