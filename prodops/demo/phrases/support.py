"""Support channels: Intercom chats, Zendesk and Help Scout emails, and the in-app feedback widget (API)."""

from __future__ import annotations

from prodops.demo.phrases.base import Template, bug, complaint, feature, improvement, praise, question

INTERCOM: tuple[Template, ...] = (
    bug(
        "Playground keeps logging me out",
        "{hi} every time I switch tabs in the playground I get bounced back to the login page and lose my "
        "prompt. Happens in {browser}, incognito too. Kind of maddening when you're iterating on a long "
        "system prompt.",
    ),
    question(
        "What's the context window for {model}?",
        "{hi} quick one: what's the max context for {model}? The models page says one number and the "
        "error I got back says another. {bye}",
    ),
    bug(
        "I was charged twice this month",
        "{hi} I see two charges of {amount} on our card for the same billing period. Can you refund the "
        "duplicate please? Happy to send a screenshot of the statement.",
        who="paid",
    ),
    question(
        "Can I use the API output in a paid product?",
        "{hi} we're a tiny startup building a writing assistant. Are we allowed to use the generated text "
        "in a product we charge for? Couldn't find a straight answer in the terms. {bye}",
    ),
    praise(
        "Just wanted to say thanks",
        "{hi} no issue, just wanted to say {model} got noticeably better at following our formatting "
        "instructions. We deleted about half of our post-processing code this week. Nice work!",
    ),
    bug(
        "Email verification link says expired",
        "hi, signed up this morning and the verification link says expired even though I clicked it within "
        "a minute. Tried resending 3 times. Can't get into my account at all.",
    ),
    question(
        "How do I rotate an API key without downtime?",
        "{hi} we need to rotate our production key (someone pasted it in a public Slack channel, oops). If "
        "I create a new key, does the old one keep working until I delete it? Want to avoid a gap. {bye}",
    ),
    complaint(
        "Waiting days for a reply on every ticket",
        "{hi} this is the third time this month I've waited more than {days} days for an answer on a "
        "ticket. We're paying for {plan} and I'd expect better. The issue itself is minor, the silence "
        "isn't.",
        who="paid",
    ),
    bug(
        "Usage graph shows zero for yesterday",
        "{hi} the usage chart shows nothing for yesterday, but our logs show around {count} successful calls. "
        "Is the chart delayed or are we not being billed correctly? Either is a bit worrying tbh",
    ),
    feature(
        "Any plans for a Go SDK?",
        "{hi} we're a Go shop and hand-rolling the HTTP calls right now. Any plans for an official Go "
        "client? Even a thin one with types and retries would save us a lot of boilerplate.",
    ),
    question(
        "Does aster-embed work for {lang}?",
        "{hi} we're building search over our help articles in {lang}. Does aster-embed handle it well or "
        "is it mostly trained on English? Any benchmark numbers would help. {bye}",
    ),
    bug(
        "'Copy as code' gives Python that doesn't run",
        "{hi} the copy-as-code button in the playground generates Python with an old import path that doesn't "
        "work with SDK {py_sdk}. Small thing but it cost a junior on my team an hour.",
    ),
    complaint(
        "Why did my free credits disappear?",
        "{hi} I still had signup credits left and now the console says 0 and my requests fail with 402. I "
        "didn't use them. Did they expire? Nobody told me they would.",
        who="free",
    ),
    question(
        "Is there an official Postman collection?",
        "{hi} does anyone on your side maintain a Postman or Insomnia collection for the API? Would make "
        "it much easier for our QA people to poke at things. {bye}",
    ),
    bug(
        "Can't remove a team member who left",
        "{hi} trying to remove someone who left the company and the Remove button just spins. After a refresh "
        "they're still listed. They can still see our keys, so this is urgent for us.",
    ),
    feature(
        "Please let us add a backup payment card",
        "{hi} our card expired over the weekend and everything stopped. Could we add a second card as a "
        "fallback so this doesn't happen again?",
        who="paid",
    ),
    bug(
        "404 model_not_found for {model}",
        "{hi} getting `404 model_not_found` for {model} even though it's in the docs. Do I need to request "
        "access, or is the model name format different? SDK {py_sdk}.",
    ),
    praise(
        "The function calling guide is excellent",
        "{hi} just wanted to pass this along: the function calling guide is the clearest I've read from any "
        "provider. Had our first tool working in 20 minutes.",
    ),
    bug(
        "Answers stop in the middle of a sentence",
        "{hi} since yesterday a lot of responses from {model} just stop mid-sentence. finish_reason says "
        "'stop', not 'length', and max_tokens is 2000. Example request: {req_id}",
    ),
    question(
        "Do you have nonprofit pricing?",
        "{hi} we're a small nonprofit running a helpline chatbot. Is there nonprofit or education pricing? "
        "Our usage is modest but our budget is even more modest 🙂",
    ),
    complaint(
        "Price went up and nobody told us",
        "{hi} our bill for {model} went up about {pct}% this month and I only found out from the invoice. "
        "I get that prices change, but an email a few weeks ahead is the bare minimum.",
        who="paid",
    ),
    bug(
        "Locked out: 2FA codes rejected",
        "{hi} my authenticator codes keep getting rejected when I log in. Phone time is synced. I'm the only "
        "admin on our org so nobody else can get in either. Please help asap",
    ),
    question(
        "How long do you keep our prompts?",
        "{hi} how long are prompts and completions stored on your side, and is there a zero-retention "
        "option? Our customers keep asking us. {bye}",
    ),
    feature(
        "Show when each API key was last used",
        "{hi} we have like 15 keys and no idea which ones are still in use. Could the keys page show a "
        "last-used date? Then we could clean up without breaking something.",
    ),
    question(
        "Different answers at temperature 0?",
        "{hi} with temperature 0 and the exact same prompt, {model} gives a different answer maybe 1 time "
        "in 5. Is that expected? We rely on stable outputs for our test suite. Is there a seed parameter?",
    ),
    bug(
        "Upgrade button is greyed out",
        "{hi} the upgrade to Pro button on the billing page is greyed out for me. Do I need to add a card "
        "first? I'm the owner of the org.",
        who="free",
    ),
    bug(
        "Logs page takes forever to load",
        "{hi} the request logs page takes 15+ seconds to load for us and sometimes just times out. We do "
        "around {count} requests a day, maybe that's why? Some filtering or paging would help.",
    ),
    praise(
        "Migration was painless",
        "{hi} we moved over from our previous provider in an afternoon. The SDK is nearly a drop-in and the "
        "quality on our eval set went up. Just wanted someone there to know. {bye}",
    ),
    feature(
        "Alert when a key is used from a new country",
        "{hi} after a key leak at my last job I'm paranoid. Could you email us when a key is suddenly used "
        "from a new country or IP range? Would have saved us a lot of money back then.",
    ),
    question(
        "{model} or aster-code for code generation?",
        "{hi} we generate SQL from plain-English questions. Should we use {model} or aster-code? "
        "The docs don't really say which is better for SQL. {bye}",
    ),
    bug(
        "PNG screenshots rejected by aster-vision",
        "{hi} sending a PNG screenshot to aster-vision returns `invalid_image: unsupported format`. JPEGs work "
        "fine. The file is {n_small} MB so it's under the limit. Is it the transparency?",
    ),
    complaint(
        "Our org was suspended with no explanation",
        "{hi} our org got suspended this morning for a 'policy violation' and the email has zero details. "
        "We run a customer support bot for a bike shop, not exactly controversial. Our site chat is dead "
        "until this is fixed. Who do I talk to?",
    ),
    question(
        "How do I cancel at the end of the billing period?",
        "{hi} we're winding down the side project this runs on. How do I cancel Pro at the end of the "
        "billing period instead of right now? {bye}",
        who="pro",
    ),
    bug(
        "Request log timestamps are in the wrong timezone",
        "{hi} the request logs show times in UTC but label them as local time. Took us a while to figure out "
        "why nothing matched our app logs during an incident.",
    ),
    feature(
        "Bulk delete old fine-tuned models",
        "{hi} we have about 30 old fine-tunes left over from experiments. Deleting them one by one is "
        "painful. Any way to select several at once, or do it through the API?",
    ),
    question(
        "Is there a sandbox or test mode?",
        "{hi} for our CI we'd love a test mode that returns canned responses and doesn't cost anything. "
        "Does that exist, or how do other customers handle this? {bye}",
    ),
    bug(
        "Invite emails never arrive",
        "{hi} I invited two people from our team and neither got the email (checked spam). The invite just "
        "shows 'pending'. Can I copy the invite link somewhere instead?",
    ),
    complaint(
        "Your support bot kept sending me the same article",
        "no offense but your help bot just kept linking me the same docs page three times. I need a human "
        "for a billing question, how do I get one?",
    ),
    question(
        "Max file size for a fine-tuning dataset?",
        "{hi} what's the largest training file I can upload for fine-tuning {ft_base}? Ours is a bit over "
        "1 GB of JSONL. Should I split it? {bye}",
    ),
    praise(
        "aster-small-2 is fast",
        "{hi} we moved our autocomplete feature to aster-small-2 and p50 went from about {ms}ms to under "
        "200ms. Users actually noticed. Thanks for shipping a fast small model!",
    ),
    bug(
        "Token counts don't match the tokenizer",
        "{hi} the prompt_tokens in the response are consistently ~8% higher than what your tokenizer library "
        "says for the same text. Which one is right? We bill our own customers on this.",
    ),
    improvement(
        "Error message for a bad request body is useless",
        "{hi} when our request body is malformed the API just says `400 bad request` with no detail. "
        "Telling us which field failed validation would save so much time.",
    ),
    question(
        "Is there an uptime SLA on Pro?",
        "{hi} our customers are asking what uptime we can promise. Does Pro come with an SLA, or is that "
        "Enterprise only? {bye}",
        who="paid",
    ),
    bug(
        "Usage page shows dollars, we pay in euros",
        "{hi} we're billed in EUR but the usage page shows amounts in USD. Which one is right? Our finance "
        "person is confused and so am I.",
    ),
    feature(
        "Sign in with GitHub",
        "{hi} would be great to log in to the console with GitHub instead of yet another password. Most of "
        "our devs live there anyway.",
    ),
    question(
        "Why is the first request after a quiet period so slow?",
        "{hi} if our app has been idle for a while, the first request to our fine-tuned model takes 20-30 "
        "seconds, then everything's fast again. Is there a way to keep it warm? {bye}",
    ),
    complaint(
        "Lost an hour of work in the playground",
        "{hi} I spent an hour building a prompt in the playground, the page reloaded (a deploy?) and "
        "everything was gone. There's no history, no autosave. Please add autosave, this one hurt.",
    ),
    bug(
        "Checkout says card declined but my bank saw nothing",
        "{hi} trying to upgrade and checkout fails with 'card_declined'. My bank says no payment was even "
        "attempted. Tried two different cards. {bye}",
    ),
    question(
        "Can I choose which model an agent uses?",
        "{hi} in the agent builder I don't see where to pick the model. Is it always {model}? We'd like "
        "the cheaper one for simple routing steps.",
    ),
    praise(
        "The agent builder is really slick",
        "{hi} built a small internal IT helpdesk agent with two tools in an afternoon, no backend code. The "
        "trace view made debugging it easy. Really nice work on this!",
    ),
)

ZENDESK: tuple[Template, ...] = (
    bug(
        "Moderation endpoint flags harmless medical text",
        "{hi}\n\nThe moderation endpoint flags ordinary patient education material (for example descriptions "
        "of wound care) as self-harm with high confidence. We can't publish content that gets flagged, so our "
        "editors are stuck. Is there a way to tune this for medical content?\n\n{bye}",
        "moderation",
    ),
    question(
        "Request for your SOC 2 Type II report",
        "{hi}\n\nOur vendor risk team needs your latest SOC 2 Type II report and a completed security "
        "questionnaire before we can renew. Could you share the report under NDA?\n\n{bye}",
        "security",
        "compliance",
        who="paid",
    ),
    bug(
        "Fine-tuned model behaves like the base model",
        "{hi}\n\nOur fine-tuned model ({job_id}) finished training with a good validation loss, but its "
        "answers look exactly like the base {ft_base}: none of the tone or format from the training data. Are "
        "we calling the right model ID?\n\n{bye}",
        "fine-tuning",
    ),
    complaint(
        "Charged after cancelling our subscription",
        "{hi}\n\nWe cancelled our {plan} subscription on the 3rd and were still charged {amount} on the "
        "15th. I have the cancellation confirmation email. Please refund the charge.\n\n{bye}",
        "billing",
        "refund",
        who="pro",
    ),
    question(
        "Supplier registration form",
        "{hi}\n\nBefore we can pay your invoices our procurement team needs you registered as a supplier. "
        "Could you fill in the attached form and send a W-9 (or your local equivalent)?\n\n{bye}",
        "billing",
        "procurement",
        who="enterprise",
    ),
    bug(
        "Streaming responses stall for 20-30 seconds mid-answer",
        "{hi}\n\nWhen streaming from {model}, the stream regularly pauses for 20 to 30 seconds in the middle of "
        "an answer, then continues as normal. Non-streaming requests of the same size finish in about {seconds} "
        "seconds. Example request: {req_id}.\n\n{bye}",
        "api",
        "streaming",
    ),
    question(
        "Countersigned DPA",
        "{hi}\n\nOur legal team needs a countersigned Data Processing Agreement before we send customer "
        "data. Is there a standard DPA we can sign electronically?\n\n{bye}",
        "legal",
        "gdpr",
        who="paid",
    ),
    bug(
        "Identical embedding calls return slightly different vectors",
        "{hi}\n\nEmbedding the same sentence twice with aster-embed gives vectors that differ in the fourth "
        "decimal. It's small, but it breaks our cache and our deduplication tests. Is this expected?\n\n{bye}",
        "embeddings",
    ),
    improvement(
        "Higher max output tokens for {model}",
        "{hi}\n\nWe generate long compliance reports and the current maximum output length of {model} "
        "forces us to split every report into several calls and stitch them together. Is a higher "
        "output limit planned?\n\n{bye}",
        "models",
    ),
    complaint(
        "Requesting service credits for last month's SLA breach",
        "{hi}\n\nBy our monitoring, availability last month was below the 99.9% in our contract. Please "
        "confirm the figure from your side and apply the service credits on the next invoice.\n\n{bye}",
        "sla",
        "enterprise",
        who="enterprise",
    ),
    bug(
        "Cannot transfer organisation ownership",
        "{hi}\n\nOur original account owner is leaving the company and we need to make someone else the "
        "owner. The console shows the option, but it fails with 'Something went wrong'. Could you transfer it "
        "for us?\n\n{bye}",
        "console",
        "account",
    ),
    question(
        "Offline tokenizer for cost estimates",
        "{hi}\n\nIs there an official tokenizer we can run locally to estimate costs before sending "
        "requests? We want to show customers a price before they submit a document.\n\n{bye}",
        "api",
    ),
    bug(
        "Polish diacritics come back garbled",
        "{hi}\n\nSome responses containing Polish characters (ą, ę, ł) come back as mojibake when streamed. "
        "The same prompt without streaming is fine. We use the REST API directly from Java.\n\n{bye}",
        "api",
        "streaming",
    ),
    question(
        "Committed-use pricing",
        "{hi}\n\nWe expect to spend a significant amount next year. Do you offer committed-use discounts "
        "in exchange for an annual commitment? Please share a rate card if so.\n\n{bye}",
        "sales",
        who="paid",
    ),
    bug(
        "Fine-tuning validation loss shows NaN",
        "{hi}\n\nOur last two fine-tuning jobs report a validation loss of NaN from step 50 onwards, yet the "
        "training loss looks normal. The dataset passed your validator. Job: {job_id}.\n\n{bye}",
        "fine-tuning",
    ),
    feature(
        "Pin a model version",
        "{hi}\n\nWhen {model} is updated behind the same name our outputs change without warning. Could "
        "you offer dated snapshots we can pin to, so we decide when to upgrade?\n\n{bye}",
        "models",
    ),
    complaint(
        "Answers got much shorter this week",
        "{hi}\n\nSince {weekday}, answers from {model} are noticeably shorter and skip steps our users "
        "rely on. Nothing changed on our side. Did something change on yours? This is affecting customer "
        "satisfaction.\n\n{bye}",
        "models",
        "quality",
        who="paid",
    ),
    bug(
        "Password reset link points to localhost",
        "{hi}\n\nThe password reset email I received links to http://localhost:3000/reset?token=..., which "
        "obviously doesn't work. I can't get into my account.\n\n{bye}",
        "account",
    ),
    question(
        "Adding a second organisation owner",
        "{hi}\n\nFor continuity we'd like two owners on our organisation, so we're not stuck if one person "
        "is away. Is that supported?\n\n{bye}",
        "console",
    ),
    bug(
        "Invoice PDF download returns 404",
        "{hi}\n\nClicking 'Download PDF' for invoice {invoice} in the billing page gives a 404. Older invoices "
        "download fine. Our accountant needs it this week.\n\n{bye}",
        "billing",
        "invoice",
    ),
    question(
        "Maximum number of tools per request",
        "{hi}\n\nHow many tools can we pass in one request, and does a large number of tools affect "
        "accuracy or cost? We're at 40 tools, wired up through {framework}, and considering more.\n\n{bye}",
        "api",
        "tools",
    ),
    bug(
        "Content filter blocks legitimate legal documents",
        "{hi}\n\nRequests summarising court judgments on violent crimes are refused by the content filter. "
        "These are public legal documents and our product is for lawyers. How do we get this "
        "adjusted?\n\n{bye}",
        "moderation",
    ),
    improvement(
        "Send invoices to a shared finance mailbox",
        "{hi}\n\nInvoices go only to the account owner. Could you let us add a separate billing email "
        "such as accounts@ so they reach finance directly?\n\n{bye}",
        "billing",
    ),
    question(
        "How does prompt caching work?",
        "{hi}\n\nWe send the same long system prompt on every request. Is anything cached on your side, and "
        "is cached input billed differently? The docs don't cover it.\n\n{bye}",
        "api",
        "pricing",
    ),
    bug(
        "System prompt ignored when tools are passed",
        "{hi}\n\nAs soon as we include tools, {model} stops following instructions in the system prompt (for "
        "example, 'always answer in {lang}'). Without tools it works. Example request: {req_id}.\n\n{bye}",
        "api",
        "tools",
    ),
    complaint(
        "Usage we don't recognise on our account",
        "{hi}\n\nOur account shows about {count} requests overnight that didn't come from our systems. We "
        "think a key leaked and we have revoked it. We're asking for the charges to be waived.\n\n{bye}",
        "billing",
        "security",
    ),
    question(
        "Fine-tuning on multi-turn conversations",
        "{hi}\n\nCan training examples contain full multi-turn conversations, and is loss computed on every "
        "assistant turn or only the last one?\n\n{bye}",
        "fine-tuning",
    ),
    bug(
        "Embeddings return 'input too long' for short texts",
        "{hi}\n\nThe embeddings endpoint rejects inputs of about 300 tokens with 'input too long'. The "
        "documented limit is much higher. It only happens when the text contains many emoji.\n\n{bye}",
        "embeddings",
    ),
    feature(
        "IP allowlisting for API keys",
        "{hi}\n\nOur security policy requires that production credentials can only be used from known IP "
        "ranges. Could you add an IP allowlist per key or per organisation?\n\n{bye}",
        "security",
        who="paid",
    ),
    question(
        "Research credits for a university project",
        "{hi}\n\nI'm a PhD student working on multilingual summarisation. Do you offer research credits? We "
        "would cite the models in our publications.\n\n{bye}",
        "credits",
        who="free",
    ),
    bug(
        "Organisation name can't contain an ampersand",
        "{hi}\n\nRenaming our organisation to include '&' fails with 'invalid characters'. It's in our legal "
        "name, so invoices look wrong without it.\n\n{bye}",
        "console",
    ),
    praise(
        "Thank you for the quick fix",
        "{hi}\n\nJust a note to say thank you for fixing the invoice issue so quickly yesterday. Your "
        "support engineer was patient and explained everything clearly.\n\n{bye}",
        "billing",
    ),
    question(
        "Dedicated deployment options",
        "{hi}\n\nWe'd like to understand the options for a dedicated deployment of {model}: isolated "
        "capacity, guaranteed throughput, and pricing. Who can we speak to?\n\n{bye}",
        "sales",
        who="enterprise",
    ),
    bug(
        "Wrong seat count on our invoice",
        "{hi}\n\nInvoice {invoice} bills us for {seats} console seats, but we only have about half that many "
        "members. It looks like removed members are still counted.\n\n{bye}",
        "billing",
        "invoice",
        who="paid",
    ),
    bug(
        "Model answers in English when asked in {lang}",
        "{hi}\n\nWhen our users write in {lang}, {model} often replies in English, even though the system "
        "prompt asks it to answer in the user's language. It happens in about a quarter of "
        "conversations.\n\n{bye}",
        "models",
        "multilingual",
    ),
    complaint(
        "Ticket closed without a resolution",
        "{hi}\n\nMy previous ticket about failed fine-tuning uploads was marked solved, but nobody "
        "answered the question. The problem is still there. Please reopen it and have someone look.\n\n"
        "{bye}",
        "support",
    ),
    question(
        "How are images counted in tokens?",
        "{hi}\n\nWe send product photos to aster-vision. How are images converted to tokens for billing, "
        "and does resizing on our side reduce cost?\n\n{bye}",
        "vision",
        "pricing",
    ),
    bug(
        "Stop sequences not respected",
        "{hi}\n\nWe pass stop=['###'] but {model} keeps generating past the marker and includes it in the "
        "output. This worked last month. Example request: {req_id}.\n\n{bye}",
        "api",
    ),
    question(
        "Changing the billing country",
        "{hi}\n\nWe registered with the wrong billing country and now the tax on invoices is wrong. The "
        "field is greyed out in the console. Can you change it for us?\n\n{bye}",
        "billing",
    ),
)

HELPSCOUT: tuple[Template, ...] = (
    question(
        "Do you have a partner or affiliate program?",
        "{hi}\n\nWe build chatbots for small businesses and recommend you to every client. Is there a "
        "partner or referral program?\n\n{bye}",
    ),
    bug(
        "Can't update card: the 3-D Secure window never appears",
        "{hi}\n\nWhen I try to replace our card, the page waits for bank verification but the 3-D Secure "
        "popup never opens ({browser}, popups allowed). The old card expires at the end of the month.\n\n{bye}",
        who="paid",
    ),
    question(
        "Moving our account to a different email",
        "{hi}\n\nI signed up with my personal address and need the account under my work email now. Can it "
        "be moved without losing our fine-tuned models?\n\n{bye}",
    ),
    complaint(
        "Refund request: a loop in our code burned credits",
        "{hi}\n\nA deploy with a bug called the API in a tight loop for about {hours} hours. We fixed it, "
        "but it cost us {amount}, which is a lot for a two-person company. Is any refund possible?\n\n"
        "{bye}",
    ),
    bug(
        "Empty response with finish_reason=stop",
        "{hi}\n\nRoughly one request in a hundred returns an empty message, finish_reason 'stop', and zero "
        "completion tokens. Retrying works. Model: {model}.\n\n{bye}",
    ),
    question(
        "Which model for summarising long reports?",
        "{hi}\n\nWe summarise 40-page PDFs. Is aster-large-2 worth the price over aster-medium-2 for "
        "that, or is the difference small? A rule of thumb would help.\n\n{bye}",
    ),
    praise(
        "Great onboarding call",
        "{hi}\n\nThanks for the onboarding session yesterday. We left with a working prototype and a clear "
        "plan for evaluation. Really appreciated the time.\n\n{bye}",
    ),
    bug(
        "Typo on the pricing page",
        "{hi}\n\nTiny thing: the pricing page says 'per milion tokens' in the embeddings section. Thought "
        "you'd want to know.\n\n{bye}",
    ),
    question(
        "Can we self-host a model?",
        "{hi}\n\nSome of our clients won't send data to any cloud API. Is there a version of your models we "
        "could run on our own servers, even a smaller one?\n\n{bye}",
    ),
    bug(
        "Logging out doesn't end other sessions",
        "{hi}\n\nI logged out on a shared computer and then used 'log out everywhere', but the other browser "
        "was still logged in an hour later. That seems like a security issue.\n\n{bye}",
    ),
    improvement(
        "Render Markdown tables in the playground",
        "{hi}\n\nWhen the model returns a Markdown table, the playground shows the raw pipes and "
        "dashes. Rendering it would make reviewing outputs much easier.\n\n{bye}",
    ),
    question(
        "Deleting my account and data",
        "{hi}\n\nI'm shutting down my project. How do I delete my account, and will that delete uploaded "
        "files and fine-tuned models too?\n\n{bye}",
    ),
    bug(
        "Receipt emails arrive twice",
        "{hi}\n\nEvery month we get the same receipt email twice, a few minutes apart. Our bookkeeping tool "
        "imports both, so we have to delete one each time.\n\n{bye}",
    ),
    question(
        "Buying through a cloud marketplace",
        "{hi}\n\nCould we pay through the {cloud} marketplace so it counts against our existing cloud "
        "commitment? That would make approval much easier for us.\n\n{bye}",
        who="paid",
    ),
    complaint(
        "Still getting marketing emails after cancelling",
        "{hi}\n\nI closed my account a month ago and unsubscribed twice, but your newsletters keep "
        "coming. Please remove me from every list.\n\n{bye}",
    ),
    bug(
        "Date picker won't select the last 90 days",
        "{hi}\n\nOn the usage page, choosing 'Last 90 days' resets to 'Last 7 days' immediately. Custom "
        "ranges older than a month don't apply either.\n\n{bye}",
    ),
    question(
        "Can I fine-tune with images?",
        "{hi}\n\nWe'd like to teach aster-vision to recognise our product defects. Is fine-tuning "
        "available for the vision model, or only for text?\n\n{bye}",
    ),
    bug(
        "Broken link in the embeddings guide",
        "{hi}\n\nThe 'choosing a similarity metric' link in the embeddings guide goes to a 404 page.\n\n{bye}",
    ),
    question(
        "What was your uptime last year?",
        "{hi}\n\nA prospect asked for your historical availability. Do you publish uptime numbers for the "
        "last 12 months?\n\n{bye}",
    ),
    improvement(
        "Clearer error when we run out of credits",
        "{hi}\n\nWhen our prepaid credits ran out, our app just saw 402 errors and we spent an hour "
        "debugging before realising. An email or a clearer error message would help.\n\n{bye}",
    ),
    praise(
        "Docs search is so much better",
        "{hi}\n\nWhatever you changed in the docs search, thank you. I actually find things on the first "
        "try now.\n\n{bye}",
    ),
    question(
        "Paying in local currency",
        "{hi}\n\nWe're based in India and our bank charges a fee on every USD payment. Do you bill in INR, "
        "or plan to?\n\n{bye}",
    ),
    bug(
        "Fine-tuning upload says JSONL is invalid",
        "{hi}\n\nThe uploader rejects my training file with 'invalid JSONL on line 1', but the file validates "
        "with every tool I've tried. Could it be the byte order mark my editor adds?\n\n{bye}",
    ),
)

API: tuple[Template, ...] = (
    improvement(
        "Model picker should remember my last choice",
        "Every time I open the playground it resets to the default model. Please remember what I used last.",
    ),
    praise(
        "Love the new playground layout",
        "The side-by-side layout with the request on the left is so much better. Great job.",
    ),
    feature(
        "Save a playground session as JSON",
        "Let me download the whole playground session (messages, parameters, model) as JSON so I can turn "
        "it into a test case.",
    ),
    improvement(
        "Embeddings pricing is confusing",
        "The pricing page lists embeddings per token but the calculator asks for documents. I can't tell "
        "what indexing our help centre would cost.",
    ),
    bug(
        "Docs search finds nothing for 'streaming'",
        "Searching the docs for 'streaming' returns no results, even though there is a whole page about it.",
    ),
    feature(
        "A 'report bad answer' button in the playground",
        "When the model gives a clearly wrong answer I'd like to flag it right there, with a reason, "
        "instead of writing to support.",
    ),
    bug(
        "Keyboard shortcut to run doesn't work on Windows",
        "Ctrl+Enter does nothing in the playground on Windows. Cmd+Enter works for my colleague on a Mac.",
    ),
)
