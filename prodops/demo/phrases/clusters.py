"""Near-duplicates: different customers asking for the same thing in their own words, on their own channel."""

from __future__ import annotations

from datetime import date

from libs.schemas.feedback import Source
from prodops.demo.phrases.base import Cluster, bug, cluster, complaint, feature, question

IC, ZD, HL, LN = Source.INTERCOM, Source.ZENDESK, Source.HELPSCOUT, Source.LINEAR
GH, CN, JR = Source.GITHUB, Source.CANNY, Source.JIRA
GO, CH, HS, SF = Source.GONG, Source.CHORUS, Source.HUBSPOT, Source.SALESFORCE

CLUSTERS: tuple[Cluster, ...] = (
    cluster(
        "higher-rate-limits",
        (
            CN,
            feature(
                "Higher rate limits on the Pro plan",
                "{rpm} requests per minute stops being enough the moment you have real users. Please raise the Pro "
                "limits, or let us buy extra headroom without moving to an Enterprise contract.",
                "Rate limits",
            ),
        ),
        (
            IC,
            feature(
                "Can we get our rate limit raised?",
                "{hi} we keep hitting 429s every evening. We're capped at {rpm} RPM on {model} and our traffic "
                "roughly doubles after 6pm. Is there a way to raise the limit for our org? Happy to pay more for "
                "it. {bye}",
                who="paid",
            ),
        ),
        (
            GO,
            feature(
                "{company} call: throughput limits blocking the rollout",
                "Customer mentioned that the current limit of {tpm} tokens per minute is the main thing stopping "
                "them from rolling the assistant out to all {seats} agents. {name} asked whether we can commit to a "
                "higher limit in the contract itself. They are looking at a second provider purely as overflow if "
                "we can't.",
                who="enterprise",
            ),
        ),
        (
            SF,
            feature(
                "Expansion depends on a throughput increase",
                "Spoke with {name} at {company}. Next year's expansion depends on roughly a {factor}x increase in "
                "throughput on {model}. They want the number written into the order form, not granted through a "
                "support ticket that can be taken back. Need an answer from the platform team before the renewal "
                "call.",
                who="enterprise",
            ),
        ),
        (
            ZD,
            feature(
                "Request to increase rate limits for production workload",
                "{hi}\n\nWe are moving our document pipeline to production next month and our load tests top out "
                "at the current limit after a few minutes. Could you tell us how to request a higher requests-per-"
                "minute and tokens-per-minute allowance for {model}, and what it would cost?\n\n{bye}",
                "rate_limits",
                "api",
                who="paid",
            ),
        ),
        (
            HS,
            feature(
                "Asked about raising the RPM cap",
                "Call with {name}: they are at the {plan} cap of {rpm} RPM and launch a customer-facing feature "
                "next month. Wants to know the path to higher limits without jumping to Enterprise pricing. Sent "
                "the limits page; follow up with a quote.",
                who="paid",
            ),
        ),
    ),
    cluster(
        "saml-sso",
        (
            CN,
            feature(
                "SAML single sign-on (Okta)",
                "We need SAML SSO so our team can sign in to the console through Okta. Password accounts don't pass "
                "our security review.",
                "Security",
            ),
        ),
        (
            ZD,
            question(
                "Okta SSO for console access?",
                "{hi}\n\nOur IT department requires every SaaS tool to sign in through Okta. Is SAML SSO available "
                "on the Enterprise plan, and if so, how do we set it up? About {seats} people would need access "
                "once we roll out.\n\n{bye}",
                "sso",
                "enterprise",
                who="paid",
            ),
        ),
        (
            GO,
            feature(
                "{company} security review: SSO is a hard requirement",
                "Customer mentioned that SSO is non-negotiable for their CISO: Okta, with login enforced so nobody "
                "can fall back to a password. {name} said procurement will not sign until it is on the roadmap with "
                "a date. They also asked about SCIM, but SSO comes first.",
                who="enterprise",
            ),
        ),
        (
            SF,
            feature(
                "Security questionnaire: SAML SSO mandatory",
                "Security questionnaire came back from {company}. SAML SSO through {idp} is mandatory; everything "
                "else passed. The deal is otherwise at the legal stage. Need a committed date from product to "
                "unblock.",
                who="enterprise",
            ),
        ),
        (
            IC,
            question(
                "how do I set up single sign-on with okta",
                "hey, I can't find anywhere in settings to connect our Okta. Is single sign-on something you "
                "support? Our admin wants everyone off email + password logins by the end of the quarter",
            ),
        ),
    ),
    cluster(
        "streaming-function-calling",
        (
            GH,
            feature(
                "Streaming does not emit tool call deltas",
                "### Description\nWith `stream=True` and `tools` set, the stream only yields content chunks; the "
                "tool call arrives in one piece at the very end, after several seconds of silence.\n\n"
                "### Expected\nIncremental `tool_calls` deltas, the way content is streamed.\n\n"
                "### Environment\n- aster-python {py_sdk}\n- Python {python}\n- model: {model}",
                "enhancement",
                "streaming",
                where="aster-python",
            ),
        ),
        (
            CN,
            feature(
                "Stream function call arguments",
                "Please support streaming when the model decides to call a function. Right now we turn streaming "
                "off for every request that has tools, so our UI looks frozen for several seconds.",
                "API",
            ),
        ),
        (
            LN,
            feature(
                "Support streaming responses when tools are enabled",
                "Several customers are asking for this. Today `stream: true` with `tools` falls back to a single "
                "final chunk for the tool call.\n\n**Customer need** ({company}): their agent UI shows a spinner "
                "for up to {seconds}s while the arguments are generated. They'd like to render arguments as they "
                "arrive.",
                "customer-request",
                where="API",
            ),
        ),
        (
            IC,
            question(
                "Is function calling + streaming possible?",
                "{hi} is there a way to get streamed output when I pass tools? As soon as I add a tool the response "
                "comes back all at once. Am I missing a flag? Using the TS SDK {ts_sdk}. {bye}",
            ),
        ),
        window=(date(2025, 12, 1), date(2026, 8, 31)),
    ),
    cluster(
        "usage-export-csv",
        (
            CN,
            feature(
                "Export usage to CSV",
                "Finance needs monthly usage per API key as a CSV. The chart in the console is nice, but we can't "
                "reconcile invoices from a screenshot.",
                "Billing",
            ),
        ),
        (
            ZD,
            feature(
                "Usage report per project for accounting",
                "{hi}\n\nOur accounting team charges AI costs back to each product team. Is there a way to download "
                "token usage broken down by project and model for a given month? A CSV or spreadsheet would be "
                "perfect.\n\n{bye}",
                "billing",
                "usage",
                who="paid",
            ),
        ),
        (
            HL,
            question(
                "Download usage data?",
                "{hi}\n\nIs there any way to download our usage history as a file? I need the daily token counts "
                "for the last quarter for a board report and copying numbers off the graph is not fun.\n\n{bye}",
            ),
        ),
        (
            HS,
            feature(
                "Wants a usage breakdown export for chargeback",
                "{name} asked for a per-key usage export they can load into their BI tool. They run {n_small} "
                "client projects on one org and need to bill each client separately. Promised to check the "
                "roadmap.",
                who="paid",
            ),
        ),
        (
            IC,
            question(
                "where can i export my token usage",
                "{hi} need to export token usage per day to a spreadsheet, can't find a button for it anywhere in "
                "the console. does it exist?",
            ),
        ),
        window=(date(2025, 11, 20), date(2026, 4, 15)),
    ),
    cluster(
        "eu-data-residency",
        (
            GO,
            feature(
                "{company} discovery: EU hosting question",
                "Customer mentioned that all customer data has to stay in the EU because of their contracts with "
                "public-sector clients. {name} asked where inference runs today and whether we have an EU-only "
                "region. They would move their whole workload to us if we had one.",
                who="paid",
            ),
        ),
        (
            SF,
            feature(
                "Data residency is a GDPR blocker",
                "{company} legal will not approve production use until prompts and outputs are processed and stored "
                "exclusively in the EU. They are fine with the model quality and the price. This is the only "
                "blocker left. Opportunity value at risk if no EU region by Q1.",
                who="enterprise",
            ),
        ),
        (
            ZD,
            question(
                "Do you process data inside the EU?",
                "{hi}\n\nWe are a {lang}-speaking company subject to GDPR. Could you confirm where API requests are "
                "processed and stored, and whether there is an option to keep all data within the European Union? "
                "Our DPO needs this in writing.\n\n{bye}",
                "gdpr",
                "compliance",
            ),
        ),
        (
            CN,
            feature(
                "EU data residency / EU-only endpoint",
                "An endpoint where data never leaves the EU (processing and storage). Needed for anyone selling to "
                "European governments, hospitals or banks.",
                "Security",
            ),
        ),
        (
            CH,
            feature(
                "Discussed EU region availability",
                "Key moment: {name} asked three times about an EU region. Their customers are mostly in Germany and "
                "the Netherlands and ask where data goes before they sign. Would accept a higher price for an EU-only "
                "deployment. Rep to follow up with the roadmap.",
                who="paid",
            ),
        ),
    ),
    cluster(
        "fine-tuning-stuck-queued",
        (
            IC,
            bug(
                "fine-tune job stuck in queued for hours",
                "{hi} my fine-tuning job {job_id} has been sitting in QUEUED for {hours} hours. Earlier jobs "
                "started within minutes. Nothing in the console says why. Is there an outage? {bye}",
            ),
        ),
        (
            ZD,
            bug(
                "Fine-tuning job has not started",
                "{hi}\n\nWe submitted a fine-tuning job on {ft_base} yesterday afternoon (ID {job_id}) and it is "
                "still queued. We have a demo for a client on {weekday} that depends on this model. Could you check "
                "what is holding it up and give us an ETA?\n\n{bye}",
                "fine-tuning",
                "urgent",
            ),
        ),
        (
            JR,
            bug(
                "Enterprise tenant: FT jobs stuck in QUEUED",
                "Customer: {company}\nEnvironment: production\n\n{n_small} fine-tuning jobs submitted since Monday "
                "are still QUEUED; none has moved to RUNNING. Customer has a contractual turnaround for training "
                "jobs. Example job: {job_id}. Please check scheduler capacity for their tenant.",
                "fine-tuning",
                "escalation",
                who="enterprise",
                where="ESC",
            ),
        ),
        (
            HL,
            bug(
                "Training job pending forever",
                "{hi}\n\nThe model I started training this morning still says pending. The dataset is small (about "
                "{count} examples). Is the queue just long right now, or did something go wrong on my side?\n\n"
                "{bye}",
            ),
        ),
        window=(date(2026, 6, 1), date(2026, 6, 20)),
    ),
    cluster(
        "chat-completions-500-outage",
        (
            IC,
            bug(
                "URGENT: production down, all our requests return 500",
                "{hi} production is down for us. Every request to /v1/chat/completions returns 500 Internal Server "
                "Error since about {minutes} minutes ago. Nothing changed on our side, same key, same code. Your "
                "status page still shows green. Please escalate!!",
            ),
        ),
        (
            ZD,
            bug(
                "Production outage - 500 Internal Server Error on every call",
                "{hi}\n\nFor the last half hour all of our calls to the chat completions API fail with HTTP 500. "
                "Our customer-facing assistant is completely down. Example request ID: {req_id}. Please treat this "
                "as an emergency and tell us when to expect a fix.\n\n{bye}",
                "outage",
                "urgent",
                who="paid",
            ),
        ),
        (
            GH,
            bug(
                "All requests failing with InternalServerError",
                "Every `client.chat.complete(...)` call raises `InternalServerError: 500` as of this afternoon. "
                "Tried two keys and two networks, same result. Minimal repro:\n\n```python\nfrom aster import "
                'Aster\nclient = Aster()\nclient.chat.complete(model="{model}", messages=[{{"role": "user", '
                '"content": "hi"}}])\n```\n\naster-python {py_sdk}, Python {python}, {os}.',
                "bug",
                where="aster-python",
            ),
        ),
        (
            JR,
            bug(
                "P1: 5xx spike on chat completions, {company} impacted",
                "Customer: {company}\nSeverity: P1\n\nCustomer reports 100% 500s on chat completions for the last "
                "{minutes} minutes; their contact centre assistant is offline. Correlates with the gateway deploy. "
                "Customer asks for a status update every 30 minutes and an RCA afterwards.",
                "incident",
                "p1",
                who="enterprise",
                where="ESC",
            ),
        ),
        (
            HL,
            bug(
                "Is the API down?",
                "{hi}\n\nWe're getting 500 errors on every single request right now, from both our servers and my "
                "laptop. Is something going on? Our app is unusable until this works again.\n\n{bye}",
            ),
        ),
        window=(date(2026, 10, 7), date(2026, 10, 7)),
        hours=(14, 15),
    ),
    cluster(
        "vat-on-invoices",
        (
            ZD,
            bug(
                "Invoice is missing our VAT number",
                "{hi}\n\nInvoice {invoice} does not show our VAT registration number, so our accountant cannot "
                "reclaim the VAT. We entered it in billing settings weeks ago. Could you reissue the invoice with "
                "the VAT ID on it?\n\n{bye}",
                "billing",
                "invoice",
            ),
        ),
        (
            HL,
            question(
                "Need company name and VAT ID on invoices",
                "{hi}\n\nOur invoices only show my personal name. For our bookkeeping in the EU they need the "
                "company's legal name, address and VAT ID. Where can I set these so they appear on future and past "
                "invoices?\n\n{bye}",
            ),
        ),
        (
            IC,
            question(
                "can you add our tax id to the invoice",
                "{hi} our finance team says the invoices are missing our tax ID and they won't process them. Is "
                "there a field for it somewhere? I looked under billing but only see the card. {bye}",
            ),
        ),
    ),
    cluster(
        "python-async-timeout",
        (
            GH,
            bug(
                "AsyncAster ignores the timeout parameter",
                "`AsyncAster(timeout_ms=10_000)` still waits indefinitely when the server is slow; the sync client "
                "respects the same setting.\n\nSteps to reproduce:\n1. Create `AsyncAster(timeout_ms=10_000)`\n"
                "2. Call `await client.chat.complete_async(...)` with a long prompt on {model}\n"
                "3. The call hangs well past 10 s\n\naster-python {py_sdk}, Python {python}.",
                "bug",
                "async",
                where="aster-python",
            ),
        ),
        (
            GH,
            bug(
                "Requests hang forever in async client despite timeout",
                "In a FastAPI service, roughly 1 in 200 calls through the async client never returns, even with a "
                "timeout configured. We had to wrap every call in `asyncio.wait_for` as a workaround. Looks like the "
                "timeout is not passed to the underlying httpx client.\n\nVersion {py_sdk} on {os}.",
                "bug",
                where="aster-python",
            ),
        ),
        (
            IC,
            bug(
                "python sdk hangs on some requests",
                "{hi} some of our requests through the python SDK (async) just hang forever, timeout setting seems "
                "to do nothing. Our workers get stuck and pile up. Is this a known issue? SDK {py_sdk}.",
            ),
        ),
        window=(date(2026, 1, 10), date(2026, 6, 15)),
    ),
    cluster(
        "bigger-embedding-batches",
        (
            CN,
            feature(
                "Raise the maximum inputs per embeddings request",
                "Embedding a few million documents at the current batch limit takes forever and burns through our "
                "rate limit on request count, not tokens. Please allow much larger batches.",
                "Embeddings",
            ),
        ),
        (
            GH,
            feature(
                "Allow more than {batch} inputs per embeddings call",
                "`embeddings.create` rejects lists longer than {batch} items, so indexing a corpus means thousands "
                "of round trips. Could the limit be raised, or could the SDK chunk the input transparently?\n\n"
                "aster-python {py_sdk}.",
                "enhancement",
                "embeddings",
                where="aster-python",
            ),
        ),
        (
            IC,
            question(
                "embedding a big dataset is really slow",
                "{hi} we're embedding ~{count} product descriptions with aster-embed and it takes hours because "
                "of the batch size cap. Any way to send bigger batches? Or a bulk endpoint?",
            ),
        ),
        (
            GO,
            feature(
                "{company} technical call: embedding throughput",
                "Customer mentioned their nightly re-index of 1.8 million documents doesn't finish before business "
                "hours because of the per-request input limit on embeddings. {name} asked for larger batches or an "
                "offline bulk mode; price is less important than finishing overnight.",
                who="paid",
            ),
        ),
    ),
    cluster(
        "console-dark-mode",
        (
            CN,
            feature(
                "Dark mode for the console",
                "The console is the only bright white tab left in my day. A dark theme would be lovely.",
                "Console",
            ),
        ),
        (
            CN,
            feature(
                "Dark theme please",
                "I spend hours in the playground and logs. Please add a dark theme that follows the system setting.",
                "Console",
            ),
        ),
        (
            IC,
            question(
                "any plans for a dark theme?",
                "{hi} small thing, but any plans for a dark mode in the dashboard? my eyes would thank you 😅",
            ),
        ),
        window=(date(2025, 11, 20), date(2026, 8, 5)),
    ),
    cluster(
        "scoped-api-keys",
        (
            CN,
            feature(
                "Per-project API keys with limited permissions",
                "Let us create keys that only work for one project and only for the endpoints we choose. Today any "
                "key can do anything in the org, including fine-tuning.",
                "Security",
            ),
        ),
        (
            ZD,
            question(
                "Can we restrict an API key to embeddings only?",
                "{hi}\n\nWe want to give our search team a key that can only call the embeddings endpoint, not chat "
                "or fine-tuning. Is that possible today? If not, is it planned?\n\n{bye}",
                "api_keys",
                who="paid",
            ),
        ),
        (
            SF,
            feature(
                "Security review asks for scoped API keys",
                "{company} security team flagged that every API key has org-wide permissions. They want keys scoped "
                "to a project and to read-only or inference-only use before they roll out to more teams. Logged as "
                "a renewal requirement.",
                who="enterprise",
            ),
        ),
        (
            LN,
            feature(
                "Scoped API keys: per project and per endpoint",
                "Repeated ask from enterprise security reviews ({company} most recently). Proposal: keys carry a "
                "project ID and a permission set (inference, embeddings, fine-tuning, admin). Old keys keep full "
                "access.",
                "customer-request",
                "security",
                where="PLAT",
            ),
        ),
        (
            IC,
            question(
                "can I make a key that only works for one project",
                "{hi} we have a contractor helping us and I'd like to give them a key that only touches one "
                "project, not everything in our org. Is that a thing? {bye}",
            ),
        ),
    ),
    cluster(
        "audit-log-export",
        (
            GO,
            feature(
                "{company} compliance call: audit logs",
                "Customer mentioned that their SOC team needs an audit trail of console actions (key creation, "
                "member changes, model deployments) streamed into their SIEM. {name} said the current activity page "
                "is not enough because it can't be exported or retained for a year.",
                who="enterprise",
            ),
        ),
        (
            SF,
            feature(
                "Audit log export required by internal audit",
                "{company}'s internal audit asked for an exportable audit log of all admin actions with one-year "
                "retention. Needed before they extend usage to regulated teams. Flagged to product.",
                who="enterprise",
            ),
        ),
        (
            ZD,
            question(
                "Audit trail for admin actions",
                "{hi}\n\nFor our ISO 27001 audit we need to show who created or deleted API keys and who changed "
                "member roles in our organisation. Is there an audit log we can export, ideally via API?\n\n{bye}",
                "compliance",
                "enterprise",
                who="paid",
            ),
        ),
    ),
    cluster(
        "outdated-sdk-examples",
        (
            GH,
            bug(
                "README examples still use the v1 client",
                "The README shows `client.chat(model=..., messages=...)`, which was removed in v2. Copying it raises "
                "`AttributeError: 'Aster' object has no attribute 'chat'`. It should be `client.chat.complete`.\n\n"
                "aster-python {py_sdk}.",
                "documentation",
                where="aster-python",
            ),
        ),
        (
            IC,
            bug(
                "the example in your docs doesn't work",
                "{hi} copied the quickstart example word for word and get AttributeError: 'Aster' object has no "
                "attribute 'chat'. Am I on the wrong version? I just did pip install aster today.",
            ),
        ),
        (
            HL,
            bug(
                "Quickstart code throws an error",
                "{hi}\n\nI'm new to this and followed the Python quickstart step by step, but the very first "
                "example fails with an AttributeError. I think the docs might be out of date with the current "
                "package?\n\n{bye}",
            ),
        ),
        (
            GH,
            bug(
                "Cookbook notebooks use removed client methods",
                "Most notebooks in the cookbook still call the v1 methods (`client.chat`, `client.embeddings`) and "
                "fail on the current SDK. Running the RAG notebook top to bottom breaks in the second cell.",
                "documentation",
                where="aster-cookbook",
            ),
        ),
        window=(date(2025, 11, 20), date(2026, 3, 20)),
    ),
    cluster(
        "scim-provisioning",
        (
            GO,
            feature(
                "{company} call: user provisioning",
                "Customer mentioned they onboard and offboard dozens of people a month and do not want to manage "
                "console seats by hand. {name} asked for SCIM so that removing someone in their identity provider "
                "removes their access here automatically.",
                who="enterprise",
            ),
        ),
        (
            SF,
            feature(
                "SCIM needed for offboarding controls",
                "{company} IT needs automatic deprovisioning (SCIM) before they add the remaining business units. A "
                "leaver kept console access for two weeks last quarter and it was raised in their audit.",
                who="enterprise",
            ),
        ),
        (
            CN,
            feature(
                "SCIM user provisioning",
                "Sync users and groups from our identity provider with SCIM 2.0 so offboarding is automatic.",
                "Security",
            ),
        ),
    ),
    cluster(
        "spend-limits-and-alerts",
        (
            CN,
            feature(
                "Hard monthly spend cap",
                "Let me set a hard budget so requests stop once we hit it. A runaway loop should never cost more "
                "than I decided in advance.",
                "Billing",
            ),
        ),
        (
            IC,
            complaint(
                "got a huge bill because of a bug in our code",
                "{hi} a bug in our retry loop ran all weekend and we got billed {amount}. I would have happily "
                "accepted my app breaking instead. Is there really no way to set a spending limit?",
            ),
        ),
        (
            ZD,
            feature(
                "Budget alerts by email",
                "{hi}\n\nCould you add email alerts when monthly spend crosses a threshold we choose (for example "
                "50%, 80% and 100% of a budget)? Right now we only find out when the invoice arrives.\n\n{bye}",
                "billing",
            ),
        ),
        (
            HS,
            feature(
                "Wants spend alerts before expanding usage",
                "{name} is nervous about opening the API to more internal teams without a way to cap spend per "
                "project. Would expand usage if we had budget alerts. Logged as a feature request.",
                who="paid",
            ),
        ),
        (
            HL,
            question(
                "Is there a spending limit setting?",
                "{hi}\n\nI'm a solo developer and a little scared of a surprise bill. Is there a way to set a "
                "maximum I can be charged per month, after which the API just stops?\n\n{bye}",
            ),
        ),
    ),
    cluster(
        "json-mode-invalid-output",
        (
            GH,
            bug(
                "JSON mode returns truncated, unparseable JSON",
                'With `response_format={{"type": "json_object"}}` roughly 2% of responses from {model} are cut '
                "off before the closing brace, even though `finish_reason` is `stop` and far below `max_tokens`.\n\n"
                "Steps to reproduce:\n1. Ask for a JSON list of 30 items\n2. Run 200 times\n3. `json.loads` fails on "
                "a handful\n\naster-python {py_sdk}.",
                "bug",
                "json-mode",
                where="aster-python",
            ),
        ),
        (
            IC,
            bug(
                "JSON mode sometimes gives broken JSON",
                "{hi} we use JSON mode to extract invoice fields and every now and then the output isn't valid JSON "
                "(missing a bracket at the end). Our parser crashes. Is JSON mode supposed to guarantee valid JSON?",
            ),
        ),
        (
            LN,
            bug(
                "JSON mode: invalid JSON on long outputs",
                "Reports from {company} and others: with `json_object` response format the output is occasionally "
                "truncated without a length finish reason. Looks like constrained decoding ends early when the "
                "output crosses ~{tokens_k} tokens.",
                "bug",
                "customer-request",
                where="ML",
            ),
        ),
        (
            ZD,
            bug(
                "Structured output not valid JSON",
                "{hi}\n\nAbout one in fifty responses in JSON mode cannot be parsed; the object simply stops in the "
                "middle of a string. This breaks our nightly data extraction job. Example request: {req_id}.\n\n"
                "{bye}",
                "api",
                "bug",
            ),
        ),
    ),
    cluster(
        "429-under-limit",
        (
            GH,
            bug(
                "429 Too Many Requests well below the documented limit",
                "We send ~{n_small}0 requests per minute, far below our {rpm} RPM limit, yet get bursts of 429s. "
                "The `x-ratelimit-remaining` header shows plenty left right before the 429.\n\naster-ts {ts_sdk}, "
                "Node {node}.",
                "bug",
                "rate-limits",
                where="aster-ts",
            ),
        ),
        (
            IC,
            bug(
                "getting rate limited but we're nowhere near the limit",
                "{hi} we're getting 429s even though our usage graph shows we're at maybe a third of our limit. "
                "Happens in short bursts, like when 10 requests go out at the same second. Is the limit per second "
                "rather than per minute?",
            ),
        ),
        (
            ZD,
            bug(
                "Unexpected 429 errors under quota",
                "{hi}\n\nWe are receiving 429 responses while well under our per-minute request and token limits. "
                "The pattern matches short bursts at the top of each minute when our scheduler fires. Can you "
                "explain how limits are enforced, and whether they can be smoothed?\n\n{bye}",
                "rate_limits",
                who="paid",
            ),
        ),
        (
            JR,
            bug(
                "Customer gets 429 at a third of their TPM limit",
                "Customer: {company}\n\nBatch of parallel requests at the start of each minute gets 429s while usage "
                "is at ~30% of their contracted TPM. Customer suspects per-second enforcement that isn't documented. "
                "Please confirm limiter behaviour.",
                "rate-limits",
                who="enterprise",
                where="SUP",
            ),
        ),
    ),
    cluster(
        "batch-api",
        (
            CN,
            feature(
                "Async batch API with a discount",
                "Most of our jobs are overnight classification runs that don't need an answer in seconds. A batch "
                "endpoint with a lower price and a 24h turnaround would cut our bill in half.",
                "API",
            ),
        ),
        (
            GO,
            feature(
                "{company} pricing call: offline workloads",
                "Customer mentioned that 70% of their volume is offline (nightly tagging of support tickets) and "
                "asked whether we offer cheaper pricing for non-urgent requests. {name} compared us to providers that "
                "have a batch tier.",
                who="paid",
            ),
        ),
        (
            HS,
            feature(
                "Asked for cheaper async processing",
                "{name} wants to know if we have or plan a batch mode: they run a big weekly job and latency doesn't "
                "matter. Would move that workload to us from their current provider if the price is right.",
                who="paid",
            ),
        ),
        (
            IC,
            question(
                "is there a bulk / batch endpoint?",
                "{hi} I have about {count} prompts to run once, no rush at all. Is there a way to submit them in "
                "one go (like a file) instead of looping with rate limits? {bye}",
            ),
        ),
        window=(date(2025, 11, 20), date(2026, 5, 8)),
    ),
    cluster(
        "agents-persistent-memory",
        (
            CN,
            feature(
                "Agents: memory across conversations",
                "Agents forget everything between runs. Give us persistent threads or a memory store so an agent can "
                "remember a user's preferences next week.",
                "Agents",
            ),
        ),
        (
            GH,
            feature(
                "Persist agent threads between runs",
                "There is no way to resume a previous run: history has to be passed back manually each time and "
                "grows until it hits the context limit. A server-side thread ID (and summarised memory) would make "
                "long-lived assistants practical.",
                "enhancement",
                "agents",
                where="aster-agents",
            ),
        ),
        (
            CH,
            feature(
                "Customer wants agents that remember users",
                "Customer mentioned their HR assistant has to re-ask employees for the same details every session. "
                "{name} asked whether agents can keep memory per user and how long it would be stored.",
                who="paid",
            ),
        ),
        window=(date(2026, 6, 15), date(2026, 11, 19)),
    ),
    cluster(
        "fine-tuning-webhooks",
        (
            CN,
            feature(
                "Webhook when a fine-tuning job finishes",
                "Polling the jobs endpoint every minute is wasteful. Send a webhook when a job succeeds or fails.",
                "Fine-tuning",
            ),
        ),
        (
            GH,
            feature(
                "Callback/webhook support for fine-tuning jobs",
                "Our pipeline has to poll `fine_tuning.jobs.get` in a loop until the job completes. A webhook (or at "
                "least a long-poll wait helper in the SDK) would simplify this a lot.",
                "enhancement",
                where="aster-python",
            ),
        ),
        (
            IC,
            question(
                "can you notify me when training is done?",
                "{hi} is there any way to get an email or a webhook when my fine-tune finishes? I keep refreshing "
                "the page 🙃",
            ),
        ),
        window=(date(2025, 11, 20), date(2026, 7, 20)),
    ),
    cluster(
        "ts-sdk-edge-runtime",
        (
            GH,
            bug(
                "Does not work in Cloudflare Workers",
                'Importing the SDK in a Worker fails at build time with `Could not resolve "node:stream"`. The '
                "client seems to depend on Node built-ins even though it uses fetch.\n\naster-ts {ts_sdk}, "
                "wrangler 3.",
                "bug",
                "runtime",
                where="aster-ts",
            ),
        ),
        (
            GH,
            bug(
                "Vercel Edge runtime: module not found 'fs'",
                "Using the client in a Next.js route with `export const runtime = 'edge'` breaks the build: "
                "`Module not found: Can't resolve 'fs'`. Works fine in the Node runtime.\n\naster-ts {ts_sdk}, "
                "Next.js 15.",
                "bug",
                where="aster-ts",
            ),
        ),
        (
            IC,
            question(
                "TS SDK on edge functions?",
                "{hi} is the typescript sdk supposed to work on edge runtimes (Vercel edge / workers)? I get build "
                "errors about node modules. {bye}",
            ),
        ),
        window=(date(2026, 3, 1), date(2026, 11, 5)),
    ),
    cluster(
        "console-roles",
        (
            CN,
            feature(
                "Read-only and billing-only roles",
                "Everyone in our org is either owner or member, and members can create keys. We need a viewer role "
                "and a billing admin role.",
                "Console",
            ),
        ),
        (
            ZD,
            question(
                "Restrict what team members can do",
                "{hi}\n\nOur finance colleague needs to see invoices but should not be able to create API keys or "
                "delete fine-tuned models. Are there roles with narrower permissions?\n\n{bye}",
                "console",
                "permissions",
            ),
        ),
        (
            SF,
            feature(
                "Needs role-based access in the console",
                "{company} wants to add {seats} analysts to the console as viewers only. Without a read-only role "
                "they won't invite them, which caps our seat expansion.",
                who="enterprise",
            ),
        ),
        (
            HL,
            question(
                "Can I give someone view-only access?",
                "{hi}\n\nI'd like my co-founder to see usage and bills without being able to change anything. Is "
                "there a view-only permission?\n\n{bye}",
            ),
        ),
    ),
    cluster(
        "eu-latency-spikes",
        (
            IC,
            bug(
                "responses super slow from Europe today",
                "{hi} time to first token from our Frankfurt servers has gone from ~400ms to {seconds} seconds since "
                "this morning. US region seems fine. Anything going on?",
            ),
        ),
        (
            ZD,
            bug(
                "High latency for requests from the EU",
                "{hi}\n\nFor the past few days, p95 latency for {model} from our servers in Paris has been several "
                "times higher than usual during European business hours. Our chat widget times out for users. Could "
                "you investigate?\n\n{bye}",
                "latency",
                "performance",
            ),
        ),
        (
            JR,
            bug(
                "EU customers: first-token latency regression",
                "Customer: {company}\n\nSince last week, TTFT from eu-central is 4-8x the baseline between 08:00 "
                "and 12:00 CET. Traces attached by customer show the time spent before the first byte. Several EU "
                "accounts affected.",
                "latency",
                who="paid",
                where="ESC",
            ),
        ),
        (
            CH,
            complaint(
                "Latency complaints from EU users",
                "Customer mentioned their European users see long pauses before answers start, and support tickets "
                "on their side doubled this week. {name} asked for a root cause and whether an EU edge is "
                "planned.",
                who="paid",
            ),
        ),
        window=(date(2026, 8, 3), date(2026, 8, 14)),
    ),
    cluster(
        "deprecation-notice",
        (
            ZD,
            complaint(
                "Model deprecated with too little notice",
                "{hi}\n\nWe received the deprecation email for the model our product depends on with only 30 days' "
                "notice. Re-evaluating and re-tuning prompts for a new model takes us a full quarter. Please give "
                "customers at least six months.\n\n{bye}",
                "models",
                who="paid",
            ),
        ),
        (
            GO,
            complaint(
                "{company} QBR: deprecation timeline concerns",
                "Customer mentioned the last model retirement forced an unplanned sprint. {name} asked for a "
                "contractual minimum of 6-12 months between deprecation notice and shutdown, plus access to the old "
                "model for regression testing.",
                who="enterprise",
            ),
        ),
        (
            HS,
            complaint(
                "Upset about short deprecation window",
                "{name} called about the deprecation notice: their prompts were tuned for the old model and they "
                "have no QA capacity this month. Asked whether we can extend access for their org.",
                who="paid",
            ),
        ),
    ),
    cluster(
        "hipaa-baa",
        (
            SF,
            question(
                "HIPAA: customer needs a signed BAA",
                "{company} will only send patient data if we sign a Business Associate Agreement. Legal asked "
                "whether we are HIPAA-eligible and which endpoints are covered.",
                who="enterprise",
            ),
        ),
        (
            CH,
            question(
                "Asked about HIPAA compliance",
                "Customer mentioned they want to summarise clinical notes. {name} asked if we sign BAAs and whether "
                "zero data retention is available for PHI.",
                who="paid",
            ),
        ),
    ),
    cluster(
        "pay-by-invoice",
        (
            ZD,
            question(
                "Pay by bank transfer instead of credit card",
                "{hi}\n\nOur company policy does not allow recurring charges on corporate cards. Can we switch to "
                "monthly invoicing with payment by bank transfer (net 30)?\n\n{bye}",
                "billing",
                who="paid",
            ),
        ),
        (
            HS,
            question(
                "Wants to pay by invoice",
                "{name} asked whether they can pay by invoice. Their finance team blocks card payments over $5k a "
                "month and they're about to cross that.",
                who="paid",
            ),
        ),
        (
            IC,
            question(
                "can we pay via wire transfer?",
                "{hi} our accounts team wants to pay by wire instead of card, is that possible on {plan}? {bye}",
                who="paid",
            ),
        ),
    ),
)
