"""Customer-facing teams: Gong and Chorus call notes, HubSpot and Salesforce account notes."""

from __future__ import annotations

from prodops.demo.phrases.base import Template, complaint, feature, improvement, praise, question

GONG: tuple[Template, ...] = (
    praise(
        "{company} QBR: expanding to a second use case",
        "Customer mentioned the support assistant now resolves about {pct}% of tickets without a human. "
        "{name} wants to roll the same setup out to their internal IT desk next quarter. Very positive call; "
        "asked for a case study conversation.",
        who="paid",
    ),
    question(
        "{company} discovery: latency is the deciding factor",
        "Customer mentioned they are comparing us with their incumbent provider on a voice assistant, where "
        "every 100 ms counts. {name} asked for p50 and p95 time-to-first-token numbers for {model} from "
        "their region before the technical evaluation.",
        who="paid",
    ),
    complaint(
        "{company} renewal: pushback on price",
        "Customer mentioned that their usage tripled but the unit price didn't move. {name} said finance "
        "expects a volume discount at renewal and called the current pricing 'hard to defend internally'. "
        "Open to a multi-year term in exchange.",
        who="at_risk",
    ),
    question(
        "{company} technical deep-dive: fine-tuning data",
        "Customer mentioned they have about {count} labelled support conversations. {name} asked how many "
        "examples fine-tuning really needs, whether to clean the data first, and how to tell if the "
        "fine-tune beats prompting.",
        who="paid",
    ),
    complaint(
        "{company} call: answers citing sources that don't exist",
        "Customer mentioned the research assistant cited two reports that do not exist; a senior analyst "
        "caught it before it reached a client. {name} said trust internally is 'at an all-time low' and "
        "asked what we offer for grounding and citations. Escalated to the solutions team.",
        who="at_risk",
    ),
    feature(
        "{company} call: 24/7 support for production",
        "Customer mentioned their assistant runs around the clock and their worst incident happened on a "
        "Sunday when nobody answered for {hours} hours. {name} asked for a 24/7 support tier with a phone "
        "line and a 1-hour response time for P1s.",
        who="enterprise",
    ),
    question(
        "{company} roadmap session: next flagship model",
        "Customer mentioned they are planning next year's architecture and asked when a successor to "
        "aster-large-2 is expected and whether early access is possible. {name} also asked about context "
        "length and pricing guidance.",
        who="enterprise",
    ),
    improvement(
        "{company} onboarding: unsure which model to use",
        "Customer mentioned they picked aster-large-2 for everything 'to be safe' and the bill is "
        "higher than planned. {name} asked for guidance on which tasks the smaller models handle just as "
        "well. Suggested a joint evaluation session.",
        who="paid",
    ),
    praise(
        "{company} check-in: IT helpdesk agent is a hit",
        "Customer mentioned the internal helpdesk agent built on the Agents API handles password resets and "
        "laptop requests for {seats} employees. {name} called it the most successful AI project they have "
        "shipped this year.",
        who="paid",
    ),
    feature(
        "{company} architecture review: multi-region failover",
        "Customer mentioned they need automatic failover to a second region if one goes down. {name} asked "
        "whether the API has regional endpoints they can fail over between, and what the recovery time is.",
        who="enterprise",
    ),
    question(
        "{company} legal call: IP indemnification",
        "Customer mentioned their legal team wants an IP indemnity for generated outputs before approving "
        "use in marketing content. {name} asked for our standard position and whether it differs by plan.",
        who="enterprise",
    ),
    feature(
        "{company} call: ServiceNow integration",
        "Customer mentioned their agents work entirely in ServiceNow. {name} asked whether we have a "
        "native integration or a reference architecture, so suggestions appear inside tickets.",
        who="enterprise",
    ),
    complaint(
        "{company} call: invoices hard to read",
        "Customer mentioned their invoices have dozens of line items per model and per project with no "
        "summary, and finance asks {name} to explain them every month. Asked for a summary page and "
        "totals by project.",
        who="paid",
    ),
    complaint(
        "{company} call: champion is leaving",
        "Customer mentioned that {name}, our main champion, is leaving at the end of the month, and the "
        "incoming head of engineering is 'reviewing all vendors'. No clear successor for the AI program. "
        "Risk to renewal.",
        who="at_risk",
    ),
    complaint(
        "{company} call: evaluating self-hosted open models",
        "Customer mentioned they are benchmarking open-weight models on their own GPUs to cut costs. "
        "{name} said quality is slightly lower but 'good enough' for most tasks and the CFO likes the "
        "fixed cost. Churn risk for the high-volume workloads.",
        who="at_risk",
    ),
    feature(
        "{company} call: training for their developers",
        "Customer mentioned that only two of their engineers really know how to build with the API. {name} "
        "asked for a half-day workshop on prompting, evaluation and fine-tuning for around 30 developers.",
        who="paid",
    ),
    praise(
        "{company} QBR: cost savings",
        "Customer mentioned they cut their monthly AI spend by about {pct}% after moving classification to "
        "aster-small-2, with no measurable drop in quality. {name} is happy to be a reference.",
        who="paid",
    ),
    question(
        "{company} POC kickoff: evaluation credits",
        "Customer mentioned they need about four weeks and a meaningful volume of traffic to evaluate "
        "properly. {name} asked for evaluation credits and a temporary limit increase for the POC.",
        who="any",
    ),
    complaint(
        "{company} call: tables in scanned documents",
        "Customer mentioned aster-vision gets the text of scanned forms right but mangles tables, mixing "
        "up columns. {name} shared examples and said it's the main gap before going live.",
        who="paid",
    ),
    improvement(
        "{company} call: quality in {lang}",
        "Customer mentioned answers in {lang} read like translations, with awkward phrasing that their "
        "native-speaking users notice. {name} asked whether we evaluate quality per language and what "
        "is planned.",
        who="paid",
    ),
)

CHORUS: tuple[Template, ...] = (
    question(
        "Onboarding call: confusion about orgs and projects",
        "Customer mentioned the team created three orgs by accident and now keys and usage are scattered. "
        "{name} asked how orgs, projects and workspaces relate and how to merge them.",
        who="paid",
    ),
    improvement(
        "Customer finds the console hard for non-technical staff",
        "Key moment: {name} said their content team gave up on the playground because it 'looks like a "
        "developer tool'. They'd like a simpler view with saved templates for non-engineers.",
        who="paid",
    ),
    feature(
        "Expansion: embeddings for product search",
        "Customer mentioned they want to replace keyword search on their store with semantic search over "
        "{count} products. {name} asked about embedding costs, multilingual support and a reference "
        "architecture.",
        who="paid",
    ),
    complaint(
        "Competitor offered a lower price",
        "Key moment: {name} said another provider quoted about 30% less for similar quality and asked "
        "whether we can match. Budget owner joins the next call.",
        who="at_risk",
    ),
    complaint(
        "Customer disappointed with fine-tuning results",
        "Customer mentioned their fine-tuned model is barely better than the base model with a good "
        "prompt, after two weeks of data preparation. {name} asked for help reviewing the dataset.",
        who="paid",
    ),
    complaint(
        "Renewal risk: budget cuts",
        "Customer mentioned company-wide budget cuts; every tool over a threshold needs CFO sign-off. "
        "{name} needs ROI numbers from us to defend the renewal.",
        who="at_risk",
    ),
    praise(
        "CTO praises support during launch",
        "Key moment: {name} thanked the team for staying on a call late into the evening during their "
        "launch. Said support is the reason they chose us over a cheaper option.",
        who="paid",
    ),
    question(
        "Asked for model cards and safety evaluations",
        "Customer mentioned their AI governance board requires model cards and red-team results for every "
        "model in production. {name} asked where to find ours for {model}.",
        who="enterprise",
    ),
    feature(
        "Asked for committed spend with rollover",
        "Customer mentioned usage is seasonal, with peaks in Q4. {name} asked for an annual commitment "
        "where unused monthly spend rolls over instead of being lost.",
        who="paid",
    ),
    feature(
        "Moderation for user-generated content",
        "Customer mentioned they host community forums with {count} posts a day and want to pre-screen "
        "content. {name} asked about moderation categories, latency and custom policies.",
        who="paid",
    ),
    question(
        "Worried about prompt injection in agents",
        "Customer mentioned the security team is worried that an agent reading emails could be tricked "
        "into calling tools. {name} asked what protections exist and for best-practice guidance.",
        who="paid",
    ),
    question(
        "Education customer: student privacy",
        "Customer mentioned student data is covered by strict privacy rules. {name} asked whether any "
        "data is used for training, how long it is kept and whether we sign their data agreement.",
        who="any",
    ),
    feature(
        "Interest in real-time voice",
        "Customer mentioned they'd like to build a phone agent and asked if we plan speech-to-speech or "
        "at least streaming speech-to-text and text-to-speech. Not a blocker today.",
        who="paid",
    ),
    improvement(
        "Output length too short for long reports",
        "Customer mentioned their reports run to 8,000 words and the model stops well before that, "
        "forcing them to generate section by section. {name} asked about higher output limits.",
        who="paid",
    ),
    question(
        "Asked about sustainability reporting",
        "Customer mentioned they report the carbon footprint of suppliers. {name} asked whether we can "
        "provide energy or emissions estimates per million tokens.",
        who="enterprise",
    ),
    praise(
        "Happy to be a reference customer",
        "Key moment: {name} offered to speak at our user event and be a reference for prospects in their "
        "industry. Very happy with quality and the account team.",
        who="paid",
    ),
)

HUBSPOT: tuple[Template, ...] = (
    praise(
        "Upgraded to Pro after the trial",
        "{name} upgraded from Free to Pro today. The trial convinced them; main reasons were output quality "
        "and how easy the SDK was. Schedule a check-in in 30 days.",
        who="pro",
    ),
    question(
        "Asked about startup credits",
        "{name} asked whether we have a startup program with credits. They are pre-seed, building an "
        "AI tutor, and expect to grow usage fast after their beta.",
        who="free",
    ),
    complaint(
        "Considering a cheaper provider",
        "{name} mentioned they are testing a cheaper provider for their high-volume summaries. Quality "
        "with us is better, but the price difference is hard to ignore at their size.",
        who="at_risk",
    ),
    improvement(
        "Wants a regular check-in",
        "{name} asked for a monthly 30-minute check-in to hear about new features; they feel they "
        "found out about the Agents API too late.",
        who="paid",
    ),
    feature(
        "Team workspace for prompts",
        "{name} said their team keeps prompts in a shared doc and copy-pastes into the playground. Asked "
        "for a shared prompt workspace with history.",
        who="paid",
    ),
    complaint(
        "Too many sales follow-ups",
        "{name} asked us to stop the automated sales sequence: they received five follow-up emails in a "
        "week after a webinar. Removed them from the sequence.",
        who="any",
    ),
    question(
        "Interested in agents for e-commerce support",
        "{name} wants to automate order-status and returns questions with an agent connected to their "
        "Shopify store. Asked for examples and pricing estimates for about {count} conversations a "
        "month.",
        who="any",
    ),
    question(
        "Asked about agency pricing",
        "{name} runs an agency building assistants for clients and asked about reseller or agency "
        "pricing, and whether each client can have its own org under one bill.",
        who="any",
    ),
    praise(
        "Happy with latency, referred a friend",
        "{name} says the response speed is the best they have tested and referred another founder to us. "
        "Sent them the referral link.",
        who="any",
    ),
    feature(
        "Interested in fine-tuning after the webinar",
        "{name} attended the fine-tuning webinar and wants to train a model on their product catalogue "
        "descriptions. Asked for a short call with a solutions engineer.",
        who="any",
    ),
    complaint(
        "Downgrade request: budget",
        "{name} asked to move to a smaller plan at the end of the month because of budget. Usage is low "
        "since their main project was paused. Offered a pause instead.",
        who="at_risk",
    ),
    question(
        "Billing contact change",
        "{name} asked us to send invoices to their new finance lead instead of the founder. Updated the "
        "contact; confirm the console reflects it.",
        who="paid",
    ),
    question(
        "Asked for a security one-pager",
        "{name} needs a one-page summary of our security and data handling to share with their own "
        "customers, who ask where the AI features send data.",
        who="paid",
    ),
    improvement(
        "Feedback on onboarding emails",
        "{name} said the onboarding emails were useful but all arrived in the first two days. Suggested "
        "spacing them out over the first month.",
        who="any",
    ),
)

SALESFORCE: tuple[Template, ...] = (
    complaint(
        "Renewal forecast downgraded: quality concerns",
        "Moved {company} renewal to 'at risk'. {name} says output quality on their main use case has not "
        "improved in six months and the internal sponsor is losing patience. Need an executive call and "
        "a remediation plan.",
        who="at_risk",
    ),
    question(
        "Multi-year deal: price lock",
        "{company} open to a three-year agreement if unit prices are locked for the term. {name} also wants "
        "the right to switch to newer models at the same price.",
        who="enterprise",
    ),
    praise(
        "Expansion opportunity: second business unit",
        "{company}'s claims team saw the results in customer service and wants their own deployment. {name} "
        "estimates it roughly doubles annual spend. Creating an expansion opportunity.",
        who="enterprise",
    ),
    question(
        "Exec sponsor asks for a roadmap briefing",
        "{name} (exec sponsor at {company}) asked for a roadmap briefing under NDA before their annual "
        "planning. Interested in model releases, enterprise controls and data residency.",
        who="enterprise",
    ),
    question(
        "MSA negotiation: liability cap",
        "{company} legal wants the liability cap raised to 3x annual fees and a specific data-breach "
        "clause. Routed to our legal team.",
        who="enterprise",
    ),
    feature(
        "Request for a named technical account manager",
        "{company} asked for a named TAM who knows their architecture, instead of opening generic tickets. "
        "{name} said it's the main thing missing from the relationship.",
        who="enterprise",
    ),
    feature(
        "Consolidated billing across subsidiaries",
        "{company} has {n_small} subsidiaries with separate orgs and wants one invoice with a breakdown per "
        "subsidiary.",
        who="enterprise",
    ),
    praise(
        "Competitive win against incumbent",
        "{company} replaced their previous provider for all document workflows after a four-week bake-off. "
        "{name} cited accuracy on their own evaluation set and responsiveness of our team.",
        who="enterprise",
    ),
    complaint(
        "Usage dropped {pct}% month over month",
        "Usage at {company} fell with no explanation. {name} hasn't responded to two emails. "
        "Possible migration to another provider. Scheduling an account review.",
        who="at_risk",
    ),
    question(
        "Vendor onboarding in their procurement portal",
        "{company} procurement requires us to register in their supplier portal before the PO can be "
        "issued. Need company registration details and bank letter from finance.",
        who="enterprise",
    ),
    feature(
        "Early access to the next flagship model",
        "{company} wants to test the next large model before general availability on their internal "
        "benchmark. {name} offered detailed feedback in return.",
        who="enterprise",
    ),
    feature(
        "Quarterly evaluation on their benchmark",
        "{company} asked us to run their private benchmark each quarter and share results per model, so "
        "they can plan upgrades. {name} will provide the dataset.",
        who="enterprise",
    ),
)
