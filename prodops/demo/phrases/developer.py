"""Developer channels: GitHub issues, Linear and Jira tickets, and Canny feature posts."""

from __future__ import annotations

from prodops.demo.phrases.base import Template, bug, complaint, feature, improvement, praise, question

PY, TS, COOK, AGT, CLI = "aster-python", "aster-ts", "aster-cookbook", "aster-agents", "aster-cli"

GITHUB: tuple[Template, ...] = (
    bug(
        "files.upload fails on Windows with PermissionError",
        "Uploading a training file on Windows raises `PermissionError: [WinError 32] The process cannot access "
        "the file because it is being used by another process`.\n\nSteps to reproduce:\n1. "
        '`client.files.upload(file=open("train.jsonl", "rb"))`\n2. Observe the error when the SDK reopens '
        "the temp file\n\naster-python {py_sdk}, Python {python}, Windows 11.",
        "bug",
        "windows",
        where=PY,
    ),
    bug(
        "Pydantic v1 environments break on import",
        "Importing the SDK in a project that still pins `pydantic<2` fails with `ImportError: cannot import "
        "name 'ConfigDict'`. The README says pydantic v1 is supported.\n\naster-python {py_sdk}, pydantic "
        "1.10.17.",
        "bug",
        "dependencies",
        where=PY,
    ),
    improvement(
        "Streamed chunk types are missing from the public API",
        "`mypy --strict` complains about `Any` for every chunk from `chat.stream`, because the chunk "
        "models are not exported. Could they be re-exported from `aster.models`?\n\naster-python "
        "{py_sdk}, mypy 1.13.",
        "typing",
        where=PY,
    ),
    bug(
        "Default retry policy retries 400 errors",
        "A request with an invalid parameter is retried four times before the `BadRequestError` surfaces, "
        "which adds ~15 s to every validation error. Only 408/429/5xx should be retried.\n\naster-python "
        "{py_sdk}.",
        "bug",
        "retries",
        where=PY,
    ),
    bug(
        "KeyError: 'usage' when streaming without usage",
        '```\nTraceback (most recent call last):\n  ...\n  File "aster/_streaming.py", line 88, in '
        "__iter__\nKeyError: 'usage'\n```\n\nHappens on the final chunk when `stream_options` is not set. "
        "Python {python}, aster-python {py_sdk}.",
        "bug",
        "streaming",
        where=PY,
    ),
    feature(
        "Allow a custom httpx client (proxies, mTLS)",
        "We need to route traffic through a corporate proxy with client certificates. Accepting an "
        "`httpx.Client` (or transport) in the constructor would cover proxies, mTLS and custom timeouts in "
        "one go.",
        "enhancement",
        where=PY,
    ),
    bug(
        "Memory grows steadily with the sync client in a long-running worker",
        "A Celery worker that makes ~{count} calls a day grows by about 300 MB per day until it is killed. "
        "tracemalloc points at response objects retained by the client's hooks.\n\naster-python {py_sdk}, "
        "Python {python}, {os}.",
        "bug",
        "performance",
        where=PY,
    ),
    question(
        "ImportError: cannot import name 'Aster' from partially initialized module",
        "Following the quickstart I get `ImportError: cannot import name 'Aster' from partially "
        "initialized module 'aster'`. Python {python}, fresh virtualenv, aster-python {py_sdk}. What am I "
        "doing wrong?",
        "question",
        where=PY,
    ),
    feature(
        "Async iterator for paginated list endpoints",
        "`client.files.list()` returns one page and we have to follow `after` cursors by hand. An "
        "auto-paginating iterator (sync and async) like other SDKs have would be great.",
        "enhancement",
        where=PY,
    ),
    question(
        "CERTIFICATE_VERIFY_FAILED behind corporate proxy",
        "On our company network every call fails with `ssl.SSLCertVerificationError: "
        "CERTIFICATE_VERIFY_FAILED`. curl works with our CA bundle. How do I point the SDK at a custom CA "
        "file?\n\naster-python {py_sdk}, {os}.",
        "question",
        where=PY,
    ),
    bug(
        "chat.stream swallows KeyboardInterrupt",
        "Pressing Ctrl+C while iterating over `client.chat.stream(...)` doesn't stop the script; the stream "
        "keeps printing until it ends.\n\nRepro: run any long streamed completion in a terminal and press "
        "Ctrl+C.\n\naster-python {py_sdk}, Python {python}.",
        "bug",
        "streaming",
        where=PY,
    ),
    improvement(
        "Specific exception for context length exceeded",
        "Today a too-long prompt raises a generic `BadRequestError`, so we parse the message text to "
        "decide whether to truncate and retry. A `ContextLengthExceededError` subclass would make this "
        "robust.",
        "enhancement",
        where=PY,
    ),
    bug(
        "FineTuningJob timestamps parsed as str instead of datetime",
        "`job.created_at` is a `str` even though the type hint says `datetime`. Comparing it to "
        "`datetime.now()` raises `TypeError`.\n\naster-python {py_sdk}.",
        "bug",
        "typing",
        where=PY,
    ),
    bug(
        "Install fails on Python 3.13",
        "`pip install aster` on Python 3.13 fails resolving dependencies because of an upper pin on "
        "`jiter`. Works on 3.12.\n\n```\nERROR: Cannot install aster because these package versions have "
        "conflicting dependencies.\n```",
        "bug",
        "packaging",
        where=PY,
    ),
    bug(
        "Tool schema generated from a Pydantic model drops Optional fields",
        "When building a tool from a Pydantic model, fields typed `str | None` are missing from the generated "
        "JSON schema, so the model never fills them.\n\n```python\nclass Search(BaseModel):\n    query: str\n"
        "    language: str | None = None\n```\n\naster-python {py_sdk}, pydantic 2.9.",
        "bug",
        "tools",
        where=PY,
    ),
    question(
        "How do I pass extra headers on a single request?",
        "Our gateway needs a tracing header on each call. Is there a per-request `extra_headers` option, or "
        "only on the client? Couldn't find it in the docs.",
        "question",
        where=PY,
    ),
    bug(
        "ERR_REQUIRE_ESM when importing in a CommonJS project",
        "Requiring the package from a CommonJS Next.js API route fails with `ERR_REQUIRE_ESM`. The package "
        'declares `"type": "module"` but the `require` export condition points at an ESM file.\n\n'
        "aster-ts {ts_sdk}, Node {node}.",
        "bug",
        "packaging",
        where=TS,
    ),
    bug(
        "AbortSignal doesn't cancel a streaming request",
        "Passing `signal: controller.signal` and calling `controller.abort()` stops our loop, but the HTTP "
        "request keeps running and is billed to completion.\n\naster-ts {ts_sdk}, Node {node}.",
        "bug",
        "streaming",
        where=TS,
    ),
    feature(
        "Export zod schemas for request types",
        "We validate user input before sending it to the API. If the SDK exported zod schemas (or JSON "
        "schemas) for the request types, we wouldn't have to copy them by hand.",
        "enhancement",
        where=TS,
    ),
    question(
        "ReferenceError: fetch is not defined",
        "Getting `ReferenceError: fetch is not defined` right after upgrading. We're on Node 16 in an "
        "older service. Is Node 16 still supported?\n\naster-ts {ts_sdk}.",
        "question",
        where=TS,
    ),
    bug(
        "Bundle size jumped to 1.2 MB",
        "After upgrading to {ts_sdk}, our browser bundle grew by about 1 MB. The whole tokenizer table seems "
        "to be included even when it isn't used. 1.8.0 was ~90 KB.",
        "bug",
        "bundle-size",
        where=TS,
    ),
    bug(
        "Stream parser breaks multi-byte characters across chunks",
        "Emoji and CJK characters occasionally render as � when streaming. It looks like chunks are decoded "
        "separately, so a character split across two network chunks gets mangled.\n\naster-ts {ts_sdk}, "
        "Node {node}.",
        "bug",
        "streaming",
        where=TS,
    ),
    feature(
        "Opt-in browser usage",
        "For internal prototypes we'd like to call the API straight from the browser with a short-lived "
        "key. Could the client allow this behind an explicit `dangerouslyAllowBrowser` flag?",
        "enhancement",
        where=TS,
    ),
    bug(
        "messages parameter doesn't accept readonly arrays",
        "Passing a `readonly Message[]` (from `as const`) fails to type-check: `The type 'readonly [...]' is "
        "'readonly' and cannot be assigned to the mutable type 'Message[]'`.\n\naster-ts {ts_sdk}, "
        "TypeScript 5.6.",
        "bug",
        "types",
        where=TS,
    ),
    bug(
        "Retries ignore the Retry-After header",
        "On a 503 with `Retry-After: 20`, the client retries after 0.5 s, 1 s and 2 s and then gives up. It "
        "should wait as long as the server asks.\n\naster-ts {ts_sdk}.",
        "bug",
        "retries",
        where=TS,
    ),
    improvement(
        "Clearer error when the API key env variable is missing",
        "If `ASTER_API_KEY` isn't set, the first request fails with a 401 from the server. Failing at "
        "construction time with a message naming the variable would save newcomers some head "
        "scratching.",
        "dx",
        where=TS,
    ),
    bug(
        "toolCalls undefined in final message with runTools",
        "With the `runTools` helper, `finalMessage().toolCalls` is `undefined` even though tools were called "
        "(the events fire). Repro in a minimal script on Node {node}, aster-ts {ts_sdk}.",
        "bug",
        "tools",
        where=TS,
    ),
    question(
        "Using the SDK in React Native",
        "Has anyone used the client in a React Native app? Streaming doesn't seem to work because of the "
        "fetch implementation. Is there a recommended setup?",
        "question",
        where=TS,
    ),
    bug(
        "Chunking example splits words in half",
        "In the RAG notebook, the chunking helper cuts by characters, so chunks end mid-word and retrieval "
        "quality suffers. Splitting on sentence or token boundaries would make the example much better.",
        "notebook",
        where=COOK,
    ),
    feature(
        "Example: evaluating RAG answers",
        "The cookbook shows how to build retrieval but not how to measure it. An example of scoring "
        "answers for faithfulness and relevance would be very helpful.",
        "enhancement",
        where=COOK,
    ),
    bug(
        "Typo in the fine-tuning notebook: 'learing rate'",
        "Cell 4 of the fine-tuning notebook says 'learing rate'. Minor, just flagging it.",
        "typo",
        where=COOK,
    ),
    feature(
        "Example: text classification with embeddings",
        "A notebook showing classification with aster-embed vectors plus a simple classifier would help "
        "teams who don't want to fine-tune for basic routing.",
        "enhancement",
        where=COOK,
    ),
    bug(
        "Colab badge opens the wrong notebook",
        "The 'Open in Colab' badge on the function calling notebook opens the embeddings notebook.",
        "notebook",
        where=COOK,
    ),
    bug(
        "Agent loops forever calling the same tool",
        "When a tool returns an error message, the agent calls it again with identical arguments, over and "
        "over, until `max_turns` is hit. It never tries anything else or answers the user.\n\naster-agents "
        "0.{n_small}.1, model {model}.",
        "bug",
        where=AGT,
    ),
    feature(
        "Expose intermediate steps in run results",
        "`Runner.run` only returns the final output. For debugging and auditing we need each step (tool "
        "calls, arguments, results) in the returned object, not just in the trace UI.",
        "enhancement",
        where=AGT,
    ),
    bug(
        "Parallel tool calls are executed sequentially",
        "When the model requests three independent tool calls in one turn, the runner awaits them one after "
        "another. With slow HTTP tools that triples latency. `asyncio.gather` would fix it.",
        "bug",
        "performance",
        where=AGT,
    ),
    feature(
        "Human-in-the-loop approval before a tool runs",
        "For tools that send emails or issue refunds we need a hook to pause the run, ask a human to "
        "approve, and then resume.",
        "enhancement",
        where=AGT,
    ),
    bug(
        "Handoff to another agent drops the conversation history",
        "After a handoff, the receiving agent only sees the last user message, not the earlier turns, so it "
        "asks the user to repeat themselves.\n\naster-agents 0.{n_small}.0.",
        "bug",
        where=AGT,
    ),
    bug(
        "`aster finetune create` ignores --suffix",
        "The model created by `aster finetune create --suffix support-v2 ...` has no suffix in its name. The "
        "API call works when made directly, so the flag is probably not forwarded.",
        "bug",
        where=CLI,
    ),
    feature(
        "Shell completion for zsh",
        "Would love `aster completion zsh` so subcommands and model names tab-complete.",
        "enhancement",
        where=CLI,
    ),
    bug(
        "CLI stores the API key in plain text",
        "`aster login` writes the key to `~/.aster/config` as plain text with 644 permissions. It should use "
        "the OS keychain, or at least create the file with 600.",
        "bug",
        "security",
        where=CLI,
    ),
    bug(
        "`aster chat` breaks with piped stdin",
        "`cat notes.txt | aster chat --model {model}` exits with `OSError: [Errno 25] Inappropriate ioctl "
        "for device`. Reading the prompt from a pipe would be really handy for scripts.",
        "bug",
        where=CLI,
    ),
)

LINEAR: tuple[Template, ...] = (
    bug(
        "chat/completions returns 400 when tool_choice is 'none' and tools is empty",
        'Clients that always send `tool_choice: "none"` get `400 invalid_request` if `tools` is an empty '
        "list. The spec allows it. Raised by {company} via support.",
        "bug",
        where="API",
    ),
    bug(
        "aster-small-2 repeats its last sentence on long generations",
        "Above ~3k output tokens, aster-small-2 starts repeating the final sentence until max_tokens. Seen at "
        "temperature 0 and 0.7. Repro prompts attached by {company}.",
        "bug",
        "model-quality",
        where="ML",
    ),
    improvement(
        "Show the org ID on the settings page",
        "Support asks customers for their org ID in almost every ticket and they can't find it. Put it "
        "on the settings page with a copy button.",
        "console",
        where="PLAT",
    ),
    bug(
        "Proration is wrong when upgrading mid-cycle",
        "Upgrading from Free to Pro on day 20 charged the full month instead of the prorated amount. "
        "Reported by {company}; finance confirmed at least {n_small} other accounts affected.",
        "billing",
        where="BILL",
    ),
    feature(
        "Accept an end-user ID on requests for abuse attribution",
        "Platforms reselling our models want to pass their end-user ID so abuse reports point at the right "
        "user instead of suspending the whole org. {company} asked after a near-suspension.",
        "customer-request",
        where="API",
    ),
    bug(
        "TS SDK: response_format types are missing json_schema",
        "The `response_format` type only allows `text` and `json_object`; `json_schema` works at runtime but "
        "needs a cast. Reported on GitHub and by {company}.",
        "sdk",
        where="SDK",
    ),
    improvement(
        "Document retry semantics and idempotency keys",
        "The docs don't say which requests are safe to retry or whether we honour an `Idempotency-Key` "
        "header. Customers build their own retry logic and get duplicates.",
        "docs",
        where="DOCS",
    ),
    bug(
        "Fine-tune metrics chart is off by one step",
        "The training loss chart labels step N with the loss of step N+1. Minor, but customers comparing with "
        "their own logs notice.",
        "fine-tuning",
        where="ML",
    ),
    feature(
        "Rate limit headers on the embeddings endpoint",
        "`x-ratelimit-*` headers are returned on chat but not on embeddings, so clients can't pace their "
        "indexing jobs. {company} asked for parity.",
        "api",
        where="API",
    ),
    bug(
        "Accepted invite lands the user in their personal org",
        "After accepting an invite, new members land in their auto-created personal org and think the invite "
        "failed. Support sees this weekly.",
        "console",
        "onboarding",
        where="PLAT",
    ),
    improvement(
        "Reduce cold start for rarely used fine-tuned models",
        "Fine-tuned models idle for an hour take 20-40 s on the first request. {company} asked for "
        "keep-warm or a faster load path.",
        "inference",
        "customer-request",
        where="ML",
    ),
    bug(
        "Requests with n>1 bill the prompt n times",
        "With `n=3`, prompt tokens are billed three times although the prompt is processed once. Found while "
        "investigating a billing question from {company}.",
        "billing",
        "bug",
        where="BILL",
    ),
    feature(
        "Transfer fine-tuned models between orgs",
        "{company} merged two teams with separate orgs and wants to move fine-tuned models across without "
        "retraining. Today the only option is to retrain.",
        "customer-request",
        where="PLAT",
    ),
    bug(
        "Python SDK: stream() context manager leaks connections on exception",
        "If the body of `with client.chat.stream(...)` raises, the connection isn't returned to the pool. "
        "After a few hundred errors the client stalls.",
        "sdk",
        "bug",
        where="SDK",
    ),
    improvement(
        "Clearer error when an image URL can't be fetched",
        "When the image URL returns 403 we respond `invalid_image` with no detail. Say that the fetch "
        "failed and include the status code.",
        "vision",
        where="API",
    ),
    bug(
        "Credit expiry shown in local time, enforced at UTC midnight",
        "Credits expire at 00:00 UTC but the console shows the local date, so US customers lose credits a day "
        "earlier than they expect.",
        "billing",
        where="BILL",
    ),
    feature(
        "Bring your own LoRA adapter",
        "Some customers train adapters elsewhere and want to serve them on our infrastructure. Scope what "
        "formats we'd accept. Asked by {company}.",
        "customer-request",
        where="ML",
    ),
    bug(
        "Usage chart legend overlaps on small screens",
        "Below 1280px width the legend sits on top of the bars. Cosmetic.",
        "console",
        "ui",
        where="PLAT",
    ),
    improvement(
        "Java and Kotlin examples in the quickstart",
        "About a fifth of enterprise trials are JVM shops and the quickstart has no Java snippet. Add "
        "Java (HttpClient) and Kotlin examples.",
        "docs",
        where="DOCS",
    ),
    bug(
        "Embeddings endpoint accepts `dimensions` but ignores it",
        "Passing `dimensions=256` returns full-size vectors. Either reject the parameter or support it. "
        "{company} discovered it when their vector DB rejected the inserts.",
        "embeddings",
        "bug",
        where="API",
    ),
    feature(
        "Agents: custom HTTP tools with auth headers",
        "Hosted agents can call HTTP tools but can't send an auth header, so customers proxy everything. "
        "Support secret headers stored per agent.",
        "agents",
        where="AGT",
    ),
    bug(
        "Agent run hangs when a tool returns an empty string",
        'A tool returning `""` leaves the run in `in_progress` forever. Probably the empty result isn\'t '
        "appended to the conversation.",
        "agents",
        "bug",
        where="AGT",
    ),
    improvement(
        "aster-code loses repository context beyond 16k tokens",
        "Completions ignore files placed early in long contexts. {company} shared examples where an "
        "import defined at 20k tokens is re-declared.",
        "model-quality",
        where="ML",
    ),
    bug(
        "Deleted org keeps its API keys active for up to an hour",
        "After org deletion, keys keep authenticating until the cache expires. Should be immediate.",
        "security",
        "bug",
        where="PLAT",
    ),
    feature(
        "Prepaid credits with auto-recharge",
        "Self-serve customers who can't use postpaid billing want to top up credits automatically when the "
        "balance drops below a threshold.",
        "billing",
        where="BILL",
    ),
    improvement(
        "Surface content_filter finish reasons in the console logs",
        "Customers ask why responses are empty; the logs don't show that the content filter stopped "
        "generation. Add the finish reason to the log view.",
        "console",
        where="PLAT",
    ),
    bug(
        "TS SDK throws on null usage in the final streamed chunk",
        "`TypeError: Cannot read properties of null (reading 'prompt_tokens')` at the end of some streams. "
        "The API sends `usage: null` when usage isn't requested.",
        "sdk",
        "bug",
        where="SDK",
    ),
    feature(
        "Expose logprobs for aster-medium-2",
        "Needed for confidence scoring in classification pipelines. {company} is blocked on this for "
        "their routing project.",
        "customer-request",
        where="ML",
    ),
    bug(
        "Moderation misses categories for non-English text",
        "Moderation scores for the same content in {lang} are consistently lower than in English. Evaluate "
        "multilingual coverage before the next moderation model update.",
        "moderation",
        where="ML",
    ),
    improvement(
        "Faster model switcher in the playground",
        "The model dropdown loads every fine-tuned model in the org and takes seconds for orgs with "
        "hundreds of them. Paginate or search server-side.",
        "console",
        "performance",
        where="PLAT",
    ),
    bug(
        "aster-vision misreads rotated receipts",
        "Receipts photographed sideways come back with totals from the wrong line. {company} sent 40 "
        "examples; accuracy drops from ~95% to ~60% when rotated.",
        "vision",
        "model-quality",
        where="ML",
    ),
    feature(
        "Changelog RSS feed",
        "Developers keep asking how to follow API changes. Publish the changelog as RSS/Atom.",
        "docs",
        where="DOCS",
    ),
)

JIRA: tuple[Template, ...] = (
    bug(
        "Fine-tuned model deployment fails with 'capacity unavailable'",
        "Customer: {company}\n\nDeploying their fine-tuned {ft_base} has failed {n_small} times today with "
        "'capacity unavailable'. Their release is blocked. Please check capacity in their region.",
        "fine-tuning",
        "deployment",
        who="paid",
        where="ESC",
    ),
    bug(
        "Invoice total differs from the usage dashboard",
        "Customer: {company}\n\nLast month's invoice is {pct}% higher than the total on the usage dashboard for "
        "the same period. Customer's finance team wants a reconciliation before paying.",
        "billing",
        who="paid",
        where="SUP",
    ),
    bug(
        "Shared playground presets not visible to org members",
        "Customer: {company}\n\nPresets saved as 'shared with organisation' are only visible to the author. "
        "{n_small} members confirmed. Affects their onboarding of new analysts.",
        "console",
        who="paid",
        where="SUP",
    ),
    bug(
        "Model calls functions that don't exist",
        "Customer: {company}\n\nWith 25+ tools defined, {model} sometimes calls tool names that are not in the "
        "list (e.g. `get_customer_info` instead of `get_customer`). Their executor crashes. Example: "
        "{req_id}.",
        "tools",
        "model-quality",
        who="paid",
        where="ESC",
    ),
    question(
        "GDPR erasure request for an end user",
        "Customer: {company}\n\nThe customer received an Article 17 request from one of their users and "
        "asks us to confirm deletion of any prompts containing that user's data within 30 days.",
        "gdpr",
        "legal",
        who="paid",
        where="SUP",
    ),
    bug(
        "Customer suspects cross-tenant data in a response",
        "Customer: {company}\nSeverity: P1 (security)\n\nA completion contained a name and address the customer "
        "says are not in their data. Security on-call to investigate and confirm whether this is a model "
        "hallucination or a data leak. Request: {req_id}.",
        "security",
        "p1",
        who="enterprise",
        where="ESC",
    ),
    bug(
        "Training file upload fails above 500 MB",
        "Customer: {company}\n\nUploads of training files larger than ~500 MB fail at 100% with a 502. Smaller "
        "files work. Customer has a 1.4 GB dataset and can't split it easily.",
        "fine-tuning",
        "files",
        who="paid",
        where="SUP",
    ),
    bug(
        "Usage attributed to the wrong project after a rename",
        "Customer: {company}\n\nAfter renaming a project, new usage shows up under the old project name and "
        "the renamed one shows nothing. Breaks their internal chargeback.",
        "console",
        "usage",
        who="paid",
        where="SUP",
    ),
    bug(
        "Contract pricing not applied, billed at list price",
        "Customer: {company}\n\nThe new order form with discounted rates was signed last month, but the "
        "invoice used list prices. Difference is roughly {amount}. Billing ops to correct and reissue.",
        "billing",
        "contract",
        who="enterprise",
        where="SUP",
    ),
    bug(
        "Vision: tables in PDF pages unreadable",
        "Customer: {company}\n\nPDF pages sent to aster-vision seem to be downscaled before processing; table "
        "contents come back wrong or are skipped. Customer processes insurance forms.",
        "vision",
        who="paid",
        where="ESC",
    ),
    improvement(
        "Agent run timeout of 60 s too short",
        "Customer: {company}\n\nHosted agent runs with several slow internal tools hit the 60 s limit. "
        "Customer asks for a configurable timeout of up to 10 minutes.",
        "agents",
        who="paid",
        where="SUP",
    ),
    bug(
        "German output uses informal 'du' despite instructions",
        "Customer: {company}\n\nEven with an explicit system instruction to address users formally ('Sie'), "
        "{model} switches to 'du' after a few turns. Customer-facing banking assistant, so this matters.",
        "model-quality",
        "multilingual",
        who="paid",
        where="ESC",
    ),
    complaint(
        "Model refuses benign security research prompts",
        "Customer: {company}\n\nCustomer builds tooling for penetration testers and says the model "
        "refuses to explain well-known CVEs. They see this as a reason to switch providers.",
        "safety",
        where="SUP",
    ),
    bug(
        "Cached prompt tokens counted twice",
        "Customer: {company}\n\nOn requests that reuse a long system prompt, the usage object reports the "
        "cached tokens in both `prompt_tokens` and `cached_tokens`, and billing adds them up.",
        "billing",
        "usage",
        who="paid",
        where="SUP",
    ),
    feature(
        "Private connectivity (AWS PrivateLink)",
        "Customer: {company}\n\nSecurity requires that API traffic never crosses the public internet. "
        "Customer asks for PrivateLink or an equivalent on {cloud}. Needed for their next phase.",
        "networking",
        "enterprise",
        who="enterprise",
        where="ESC",
    ),
    feature(
        "Customer-managed encryption keys",
        "Customer: {company}\n\nCustomer wants fine-tuning data and stored files encrypted with keys they "
        "control (BYOK/CMEK) and the ability to revoke them.",
        "security",
        "enterprise",
        who="enterprise",
        where="ESC",
    ),
    bug(
        "Embedding similarity scores shifted without notice",
        "Customer: {company}\n\nCosine similarities for the same pairs dropped by ~0.05 on average since "
        "{weekday}, which broke the customer's tuned thresholds. Was aster-embed updated in place?",
        "embeddings",
        who="paid",
        where="ESC",
    ),
    bug(
        "Playground prompts visible to the whole org",
        "Customer: {company}\n\nPrompts saved as private in the playground appear in the 'recent' list of other "
        "members. Prompt contents include customer data. Treat as a privacy issue.",
        "console",
        "privacy",
        who="paid",
        where="ESC",
    ),
    bug(
        "Function calling accuracy dropped after model update",
        "Customer: {company}\n\nThe customer's tool-selection eval went from 94% to 86% after the latest "
        "{model} update. Eval set and results are attached to the ticket.",
        "tools",
        "model-quality",
        who="paid",
        where="ESC",
    ),
    question(
        "Change the billing contact email",
        "Customer: {company}\n\nThe billing contact left the company; invoices bounce. Customer asks us to "
        "update the billing email, since only the owner can do it and they're on leave.",
        "billing",
        who="paid",
        where="SUP",
    ),
    bug(
        "Usage by key shows deleted keys as 'unknown'",
        "Customer: {company}\n\nThe usage-by-key view labels usage from deleted keys as 'unknown', so "
        "historical chargeback is impossible. Keep the key name after deletion.",
        "console",
        "usage",
        who="paid",
        where="SUP",
    ),
    feature(
        "Optional PII redaction on outputs",
        "Customer: {company}\n\nCustomer wants a switch that masks emails, phone numbers and card numbers in "
        "model outputs before they reach their users.",
        "safety",
        who="paid",
        where="SUP",
    ),
    bug(
        "Fine-tuned model three times slower than the base model",
        "Customer: {company}\n\nThe same prompt takes ~{seconds} s on their fine-tuned model and a third of "
        "that on the base {ft_base}. Customer expected similar latency.",
        "fine-tuning",
        "latency",
        who="paid",
        where="ESC",
    ),
    bug(
        "Intermittent 401 with a valid key",
        "Customer: {company}\n\nAbout 0.5% of requests fail with 401 `invalid_api_key` using a key that works "
        "on retry. Started {weekday}. Sample request IDs in the ticket.",
        "auth",
        who="paid",
        where="ESC",
    ),
    question(
        "Uptime report for quarterly business review",
        "Customer: {company}\n\nAccount team needs per-month availability and incident list for the last "
        "two quarters for the customer's QBR next week.",
        "sla",
        who="enterprise",
        where="SUP",
    ),
    question(
        "Export of all fine-tuning datasets before contract end",
        "Customer: {company}\n\nCustomer asks for an export of every uploaded training file and the list of "
        "fine-tuned models before their contract ends. Account flagged as churn risk.",
        "churn",
        "data-export",
        who="at_risk",
        where="SUP",
    ),
)

CANNY: tuple[Template, ...] = (
    feature(
        "Prompt library in the console",
        "Save, version and share prompts with the team inside the console instead of in a Google Doc.",
        "Console",
    ),
    feature(
        "Zapier integration",
        "Let non-developers on our team use the models from Zapier without writing code.",
        "Integrations",
        where="integrations",
    ),
    feature(
        "Slack app",
        "A Slack app that lets us ask the model questions in channels, using our org's key and models.",
        "Integrations",
        where="integrations",
    ),
    feature(
        "Google Sheets add-on",
        "A formula like =ASTER(prompt, A2) in Google Sheets would cover half of what our ops team needs.",
        "Integrations",
        where="integrations",
    ),
    feature(
        "Bigger context window for aster-medium",
        "aster-medium-2 is the sweet spot on price, but its context is too small for our contracts. Please "
        "match the large model's context length.",
        "Models",
        where="models",
    ),
    feature(
        "oneOf and anyOf in JSON schema outputs",
        "Structured outputs reject schemas that use oneOf/anyOf, which we need for polymorphic results.",
        "API",
    ),
    feature(
        "Fine-tuning for aster-large",
        "We've hit the ceiling of what prompting can do on aster-large-2. Fine-tuning it would let us "
        "drop a lot of examples from every prompt.",
        "Fine-tuning",
        where="models",
    ),
    feature(
        "Compare two models side by side in the playground",
        "Run the same prompt on two models (or two settings) and show the answers next to each other.",
        "Console",
    ),
    feature(
        "Discount for cached prompt tokens",
        "Our system prompt is 3k tokens and identical on every request. Cached input tokens should cost less.",
        "Billing",
    ),
    feature(
        "Image embeddings",
        "Embed images and text into the same vector space so we can search product photos with text.",
        "Embeddings",
        where="models",
    ),
    feature(
        "Official LangChain integration",
        "The community integration lags behind new features. An integration you maintain would be much more reliable.",
        "Integrations",
        where="integrations",
    ),
    feature(
        "Terraform provider", "Manage projects, keys, limits and members as code.", "Integrations", where="integrations"
    ),
    feature(
        "Speech-to-text endpoint",
        "Transcription in the same API would let us drop a second vendor for our call summaries.",
        "Models",
        where="models",
    ),
    feature(
        "Text-to-speech voices",
        "Natural-sounding voices in a few languages for our reading app.",
        "Models",
        where="models",
    ),
    feature(
        "CLI login with a browser (device code)",
        "Logging in to the CLI by pasting a key is awkward. A browser-based device flow would be nicer and safer.",
        "Developer tools",
    ),
    feature(
        "Share a playground session by link",
        "Send a colleague a link to exactly what I'm seeing in the playground, read-only.",
        "Console",
    ),
    feature(
        "Run a prompt over a dataset (evals)",
        "Upload a CSV, run a prompt over every row, score the results, compare versions. Built into the console.",
        "Console",
    ),
    feature(
        "Reranking endpoint",
        "A rerank model to reorder search results would complete the RAG toolkit alongside embeddings.",
        "Embeddings",
        where="models",
    ),
    feature(
        "logit_bias parameter",
        "We need to stop the model from ever producing a few specific tokens in our classification prompts.",
        "API",
    ),
    feature(
        "Cost of each request in the response",
        "Return the price of the call alongside the token usage so we don't have to keep our own price table in sync.",
        "API",
    ),
    feature(
        "Downloadable OpenAPI spec",
        "Publish the OpenAPI document so we can generate clients for languages you don't support.",
        "Developer tools",
    ),
    feature(
        "Continue training from an existing fine-tune",
        "Start a new fine-tuning job from a previous fine-tuned model with extra data instead of from scratch.",
        "Fine-tuning",
    ),
    feature(
        "Guardrail settings per API key",
        "Configure blocked topics and output filters per key so each of our products gets its own policy.",
        "Security",
    ),
    feature(
        "Citations in RAG answers",
        "When documents are passed in the prompt, return which document and passage each sentence came from.",
        "API",
    ),
    feature(
        "Hardware security keys for 2FA",
        "Support WebAuthn / passkeys as a second factor, not only authenticator apps.",
        "Security",
    ),
    feature(
        "Automatic model routing",
        "Send every request to the cheapest model that handles it well, with a quality floor we set.",
        "Models",
        where="models",
    ),
    improvement(
        "Cheaper tokens for non-Latin scripts",
        "Japanese and Korean text uses far more tokens per word than English, so the same feature "
        "costs us 2-3x more in Asia.",
        "Billing",
    ),
    feature(
        "Agents: scheduled runs",
        "Run an agent on a schedule (every morning at 8) without our own cron infrastructure.",
        "Agents",
    ),
    feature(
        "Agents: built-in web search tool",
        "A first-party web search tool with sources, so we don't have to wire up a search API ourselves.",
        "Agents",
    ),
    feature(
        "Agents: Google Drive connector",
        "Let agents read documents from a shared Drive folder with proper permissions.",
        "Agents",
        where="integrations",
    ),
    improvement(
        "Copy button on code blocks in the docs",
        "Selecting code by hand in the docs keeps grabbing the line numbers.",
        "Docs",
    ),
    feature(
        "Versioned API reference",
        "Show the API reference as it was for each version, so we can read the docs that match what we run.",
        "Docs",
    ),
    feature(
        "Hyperparameter search for fine-tuning",
        "Try several learning rates and epochs automatically and keep the best by validation loss.",
        "Fine-tuning",
    ),
    feature(
        "Bigger monthly allowance on the free tier",
        "The free tier runs out in a couple of days of prototyping. A bit more would let us properly "
        "evaluate before paying.",
        "Billing",
        who="free",
    ),
    praise(
        "Thank you for the new docs",
        "Not a request, just a thank you: the new API reference with runnable examples is excellent.",
        "Docs",
    ),
)
