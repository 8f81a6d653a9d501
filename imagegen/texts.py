"""Every sentence users see, in English and Simplified Chinese, keyed. Code never builds one inline."""

from __future__ import annotations

from typing import Any

ENGLISH = "en"
CHINESE = "zh"
LANGUAGES = (ENGLISH, CHINESE)

_TIPS_EN = (
    "What usually passes:\n"
    "• name a style, not a living artist: *Studio Ghibli style* rather than *Hayao Miyazaki*\n"
    "• artists who died long ago and public-domain works are fine: Van Gogh, the Mona Lisa\n"
    "• no revealing or suggestive clothing\n"
    "• no copyrighted characters, brand logos or celebrities: describe a generic character instead"
)
_TIPS_ZH = (
    "通常能通过的写法：\n"
    "• 写风格而不是在世艺术家的名字：用「吉卜力风格」，不要用「宫崎骏」\n"
    "• 已故艺术家和公有领域作品没问题：梵高、蒙娜丽莎\n"
    "• 避免暴露或带暗示的衣着\n"
    "• 避免受版权保护的角色、品牌标志和名人：改用泛指的描述"
)

CATALOGUE: dict[str, dict[str, str]] = {
    # Command and option descriptions, shown in Discord's command picker.
    "cmd.imagine": {
        "en": "Draw images from a text prompt",
        "zh": "根据文字描述生成图片",
    },
    "opt.prompt": {
        "en": "What to draw, in any language",
        "zh": "想画什么，任何语言都可以",
    },
    "opt.n": {"en": "How many images", "zh": "生成几张图片"},
    "opt.size": {
        "en": "Shape of the images: pick one the model takes, or type WxH or a ratio such as 16:9",
        "zh": "图片的画幅：从模型支持的尺寸中选择，或输入宽x高、比例（如 16:9）",
    },
    "opt.quality": {"en": "Higher quality takes longer", "zh": "质量越高，生成越慢"},
    "opt.background": {
        "en": "Transparent background for stickers and logos",
        "zh": "透明背景适合贴纸和标志",
    },
    "opt.model": {"en": "Which image model to use", "zh": "使用哪个图像模型"},
    "opt.image": {"en": "A reference image to start from", "zh": "作为起点的参考图"},
    "opt.image2": {"en": "A second reference image", "zh": "第二张参考图"},
    "choice.size.auto": {"en": "Auto (the model decides)", "zh": "自动（由模型决定）"},
    "size.square": {"en": "Square {ratio}", "zh": "方形 {ratio}"},
    "size.landscape": {"en": "Landscape {ratio}", "zh": "横向 {ratio}"},
    "size.portrait": {"en": "Portrait {ratio}", "zh": "纵向 {ratio}"},
    "choice.quality.auto": {"en": "Auto", "zh": "自动"},
    "choice.quality.low": {"en": "Low (fastest)", "zh": "低（最快）"},
    "choice.quality.medium": {"en": "Medium", "zh": "中"},
    "choice.quality.high": {"en": "High", "zh": "高"},
    "choice.quality.xhigh": {"en": "Extra high (newest models)", "zh": "超高（最新模型）"},
    "choice.quality.max": {"en": "Max (slowest, dearest)", "zh": "最高（最慢、最贵）"},
    "choice.background.auto": {"en": "Auto", "zh": "自动"},
    "choice.background.transparent": {"en": "Transparent", "zh": "透明"},
    "choice.background.opaque": {"en": "Opaque", "zh": "不透明"},
    # Progress and results.
    "count.one": {"en": "1 image", "zh": "1 张图片"},
    "count.many": {"en": "{n} images", "zh": "{n} 张图片"},
    "progress": {
        "en": "🎨 Drawing {count} with {model}… {elapsed}",
        "zh": "🎨 正在用 {model} 生成{count}…… {elapsed}",
    },
    "result": {
        "en": "**{prompt}**\n{user} · {model} · {size}",
        "zh": "**{prompt}**\n{user} · {model} · {size}",
    },
    "result.size_auto": {"en": "auto size", "zh": "自动尺寸"},
    "result.partial": {
        "en": "Only {got} of {asked} images came back. When several images are asked for at once, the image "
        "service quietly leaves out the ones its safety filter stops. Rephrasing may bring the rest.",
        "zh": "只生成了 {asked} 张中的 {got} 张。一次生成多张时，图像服务会悄悄略过被安全过滤拦下的图片，"
        "不会报错。换个说法也许能得到其余的图片。",
    },
    "result.kept": {
        "en": "📦 Posted later: Discord would not take these images when they were made.",
        "zh": "📦 稍后补发：图片生成时 Discord 没能接收。",
    },
    "result.left_out_one": {
        "en": "One image was too large to post here, even made smaller, so it is left out.",
        "zh": "有 1 张图片太大，即使缩小后也无法在这里发布，因此略去。",
    },
    "result.left_out": {
        "en": "{count} images were too large to post here, even made smaller, so they are left out.",
        "zh": "有 {count} 张图片太大，即使缩小后也无法在这里发布，因此略去。",
    },
    "result.postponed": {
        "en": "📦 Your images are made, but Discord would not take them just now. They are kept safe, and I will "
        "post them in this channel as soon as Discord takes them (I keep trying for {hours} hours). "
        "/usage posts them at once.",
        "zh": "📦 你的图片已经生成，但 Discord 暂时无法接收。图片已妥善保存，Discord 一恢复就会发到这个频道"
        "（会持续尝试 {hours} 小时）。使用 /usage 可以立即重新发送。",
    },
    "result.postponed_status": {
        "en": "📦 Drawn. Discord would not take the images just now; they will be posted here as soon as it does.",
        "zh": "📦 已生成。Discord 暂时无法接收图片，恢复后会立即发到这里。",
    },
    "result.postponed_channel": {
        "en": "📦 {user} your images are made, but Discord would not take them just now. They are kept safe and "
        "will be posted here as soon as Discord takes them (I keep trying for {hours} hours). /usage posts them at "
        "once.",
        "zh": "📦 {user} 你的图片已经生成，但 Discord 暂时无法接收。图片已妥善保存，Discord 一恢复就会发到这里"
        "（会持续尝试 {hours} 小时）。使用 /usage 可以立即重新发送。",
    },
    "result.continued": {
        "en": "…continued ({part}/{parts})",
        "zh": "……续（{part}/{parts}）",
    },
    # Jobs in the queue.
    "status.queued": {
        "en": "⏳ Queued, position {position}: {count} with {model} will start when a slot frees.",
        "zh": "⏳ 排队中，第 {position} 位：用 {model} 生成{count}，有空位时开始。",
    },
    "button.cancel": {"en": "Cancel", "zh": "取消"},
    "button.rerun": {"en": "Run again", "zh": "重新运行"},
    "button.reroll": {"en": "Reroll", "zh": "重新生成"},
    "button.remix": {"en": "Remix", "zh": "改写"},
    "button.delete": {"en": "Delete", "zh": "删除"},
    "button.try": {"en": "Try this instead", "zh": "试试这个"},
    "button.vary": {"en": "Vary", "zh": "变体"},
    "button.vary_n": {"en": "Vary {index}", "zh": "变体 {index}"},
    "button.elsewhere": {
        "en": "This button belongs to a request made somewhere else, so it does nothing here.",
        "zh": "这个按钮属于在别处发起的请求，在这里不起作用。",
    },
    "menu.edit": {"en": "Edit image", "zh": "编辑图片"},
    "edit.title": {"en": "Edit image", "zh": "编辑图片"},
    "edit.label": {"en": "What should change?", "zh": "想怎么改？"},
    "edit.no_image": {
        "en": "That message has no image I can edit. Right-click a message with a PNG, JPEG or WebP image.",
        "zh": "这条消息里没有可以编辑的图片。请在带有 PNG、JPEG 或 WebP 图片的消息上使用。",
    },
    "vary.missing": {
        "en": "That image is no longer on the message, so I cannot vary it. Please use /imagine again.",
        "zh": "这张图片已不在消息中，无法生成变体。请重新使用 /imagine。",
    },
    "remix.title": {"en": "Remix: change the prompt", "zh": "改写提示词"},
    "remix.label": {"en": "Prompt", "zh": "提示词"},
    "delete.not_allowed": {
        "en": "Only the person who asked for these images, or a moderator, can delete them.",
        "zh": "只有发起请求的人或管理员可以删除这些图片。",
    },
    "try.nothing": {
        "en": "I have no suggested rewrite for this prompt any more. Please use /imagine again.",
        "zh": "这条提示词已没有可用的改写建议，请重新使用 /imagine。",
    },
    "job.cancelled": {"en": "🚫 Cancelled. Nothing was drawn.", "zh": "🚫 已取消，没有生成图片。"},
    "job.interrupted": {
        "en": "⚠️ The bot restarted before this was finished, so it was interrupted. Press **Run again** to queue "
        "it once more.",
        "zh": "⚠️ 机器人在完成之前重启了，这个请求被中断。点击 **重新运行** 可以重新排队。",
    },
    "job.interrupted_notice": {
        "en": "⚠️ {user} your /imagine was interrupted when the bot restarted: **{prompt}**\nPress **Run again** to "
        "queue it once more.",
        "zh": "⚠️ {user} 机器人重启时中断了你的 /imagine：**{prompt}**\n点击 **重新运行** 可以重新排队。",
    },
    "job.cancel_not_yours": {
        "en": "Only the person who asked for this can cancel it.",
        "zh": "只有发起这个请求的人才能取消它。",
    },
    "job.cancel_too_late": {
        "en": "This one has already started or finished, so it can no longer be cancelled.",
        "zh": "这个请求已经开始或已完成，无法再取消。",
    },
    "job.unknown": {
        "en": "I no longer have a record of this request. Please use /imagine again.",
        "zh": "找不到这个请求的记录了，请重新使用 /imagine。",
    },
    "job.late": {"en": "{user} {text}", "zh": "{user} {text}"},
    "queue.full": {
        "en": "🚦 The queue is full right now. Please try again in a few minutes.",
        "zh": "🚦 队列已满，请过几分钟再试。",
    },
    "queue.user_full": {
        "en": "🚦 You already have {limit} requests waiting or being drawn. Please wait for one to finish.",
        "zh": "🚦 你已有 {limit} 个请求在排队或生成中，请等其中一个完成后再试。",
    },
    "queue.kept_full": {
        "en": "📦 Discord has not taken many finished images yet, so the bot takes no new requests until it posts "
        "them. Please try again in a little while.",
        "zh": "📦 还有很多已生成的图片没能发到 Discord，在发出之前机器人暂不接受新请求。请稍后再试。",
    },
    "queue.closing": {
        "en": "🔁 The bot is restarting and takes no new requests for a moment. Please try again in a minute.",
        "zh": "🔁 机器人正在重启，暂时不接受新请求。请过一分钟再试。",
    },
    # Daily limits and the cooldown.
    "limit.user_day": {
        "en": "🚦 You have had all {limit} of your images for today. More from <t:{reset}:t> (<t:{reset}:R>).",
        "zh": "🚦 你今天的 {limit} 张图片额度已经用完。<t:{reset}:t>（<t:{reset}:R>）恢复。",
    },
    "limit.user_day_fewer": {
        "en": "🚦 You have {left} of your {limit} images left for today, fewer than you asked for. Ask for {left} or "
        "fewer now, or for more from <t:{reset}:t> (<t:{reset}:R>).",
        "zh": "🚦 你今天的 {limit} 张图片额度只剩 {left} 张，少于这次请求的数量。现在可以要 {left} 张或更少，"
        "或在 <t:{reset}:t>（<t:{reset}:R>）之后再多要。",
    },
    "limit.server_day": {
        "en": "🚦 This server has used its {limit} images for today. More from <t:{reset}:t> (<t:{reset}:R>).",
        "zh": "🚦 本服务器今天的 {limit} 张图片额度已用完。<t:{reset}:t>（<t:{reset}:R>）恢复。",
    },
    "limit.server_day_fewer": {
        "en": "🚦 This server has {left} of its {limit} images left for today, fewer than you asked for. Ask for "
        "{left} or fewer now, or for more from <t:{reset}:t> (<t:{reset}:R>).",
        "zh": "🚦 本服务器今天的 {limit} 张图片额度只剩 {left} 张，少于这次请求的数量。现在可以要 {left} 张或更少，"
        "或在 <t:{reset}:t>（<t:{reset}:R>）之后再多要。",
    },
    "limit.cooldown": {
        "en": "⏳ A short pause between requests: you can ask again <t:{ready}:R>.",
        "zh": "⏳ 两次请求之间需要稍等：<t:{ready}:R> 后可以再次请求。",
    },
    "usage.limited": {
        "en": "🎨 Today you have {used} of your {limit} images, so {left} left. The count resets <t:{reset}:R>.",
        "zh": "🎨 今天你已用 {used} 张，额度 {limit} 张，还剩 {left} 张。<t:{reset}:R> 重置。",
    },
    "usage.unlimited": {
        "en": "🎨 Today you have {used} images. There is no daily limit here.",
        "zh": "🎨 今天你已用 {used} 张图片。这里没有每日限额。",
    },
    "usage.server": {
        "en": "**This server**\nToday: {day_images} images, about ${day_cost}, {day_refusals} refused\n"
        "This month: {month_images} images, about ${month_cost}, {month_refusals} refused\n"
        "Most images this month: {top}",
        "zh": "**本服务器**\n今天：{day_images} 张图片，约 ${day_cost}，{day_refusals} 次被拒\n"
        "本月：{month_images} 张图片，约 ${month_cost}，{month_refusals} 次被拒\n本月生成最多：{top}",
    },
    "usage.kept_posted": {
        "en": "📦 Your kept images ({count}) have just been posted in {channels}.",
        "zh": "📦 为你保存的图片（{count} 张）刚刚已发到 {channels}。",
    },
    "usage.kept_waiting": {
        "en": "📦 {count} of your images are made and kept, but Discord still would not take them. I keep trying "
        "until <t:{until}:f>.",
        "zh": "📦 你有 {count} 张图片已生成并保存，但 Discord 仍然无法接收。会一直尝试到 <t:{until}:f>。",
    },
    "cmd.usage": {"en": "How many images you have left today", "zh": "查看今天还能生成多少张图片"},
    # Server settings.
    "server.channel": {
        "en": "/imagine is not used in this channel here. Please use it in {channels}.",
        "zh": "本服务器不在这个频道使用 /imagine，请到 {channels} 使用。",
    },
    "dm.off": {
        "en": "/imagine works in servers only here. Please use it in a server we share.",
        "zh": "这里的 /imagine 只能在服务器中使用，请到我们共同所在的服务器中使用。",
    },
    "log.refused": {
        "en": "🛡️ A prompt by {user} in {channel} was refused ({reason}):\n> {prompt}",
        "zh": "🛡️ {user} 在 {channel} 的提示词被拒绝（{reason}）：\n> {prompt}",
    },
    "cmd.admin": {"en": "Server settings for /imagine", "zh": "/imagine 的服务器设置"},
    "cmd.admin.show": {"en": "Show this server's settings", "zh": "查看本服务器的设置"},
    "cmd.admin.channels": {"en": "Choose where /imagine may be used", "zh": "设置可以使用 /imagine 的频道"},
    "cmd.admin.limits": {"en": "Daily limits, cooldown and largest n", "zh": "每日限额、冷却时间和最大张数"},
    "cmd.admin.model": {"en": "The model used when members pick none", "zh": "成员未选择时使用的模型"},
    "cmd.admin.quality": {"en": "The highest quality members may ask for", "zh": "成员可选择的最高质量"},
    "cmd.admin.models": {"en": "The models members may pick", "zh": "成员可选择的模型"},
    "cmd.admin.budget": {"en": "An estimated daily budget in US dollars", "zh": "每日预算（美元，估算）"},
    "cmd.admin.moderation": {
        "en": "Moderation level (low only in age-restricted channels)",
        "zh": "审核级别（low 只在年龄限制频道生效）",
    },
    "cmd.admin.language": {"en": "Language of the bot's public messages here", "zh": "机器人在此的公开消息语言"},
    "cmd.admin.exempt": {"en": "Roles that skip the daily limits", "zh": "不受每日限额限制的身份组"},
    "cmd.admin.log": {"en": "Where refused prompts are reported", "zh": "被拒绝的提示词报告到哪个频道"},
    "opt.admin.action": {"en": "What to do", "zh": "要做什么"},
    "opt.admin.channel": {"en": "The channel", "zh": "频道"},
    "opt.admin.role": {"en": "The role", "zh": "身份组"},
    "opt.admin.per_member": {
        "en": "Images one member may get per day (0: no limit)",
        "zh": "每位成员每日张数（0 为不限）",
    },
    "opt.admin.per_server": {
        "en": "Images the server may get per day (0: no limit)",
        "zh": "服务器每日张数（0 为不限）",
    },
    "opt.admin.cooldown": {"en": "Seconds between one member's requests", "zh": "同一成员两次请求之间的秒数"},
    "opt.admin.largest_n": {"en": "The most images one request may ask for", "zh": "单次请求最多张数"},
    "opt.admin.highest": {"en": "The highest quality allowed", "zh": "允许的最高质量"},
    "opt.admin.allowed": {"en": "Model names separated by commas, or any", "zh": "用逗号分隔的模型名称，或 any"},
    "opt.admin.dollars": {"en": "Estimated US dollars per day (0: no budget)", "zh": "每日估算美元（0 为不设预算）"},
    "opt.admin.level": {"en": "auto, or low (age-restricted channels only)", "zh": "auto，或 low（仅限年龄限制频道）"},
    "opt.admin.language": {"en": "auto follows each member's language", "zh": "auto 跟随每位成员的语言"},
    "opt.admin.model": {"en": "The model name", "zh": "模型名称"},
    "admin.not_allowed": {
        "en": "Only members with the Manage Server permission can change these settings.",
        "zh": "只有拥有“管理服务器”权限的成员才能修改这些设置。",
    },
    "admin.changed": {"en": "✅ Saved: {changes}", "zh": "✅ 已保存：{changes}"},
    "admin.nothing": {"en": "Nothing to change: give at least one option.", "zh": "没有要修改的内容：请至少填写一项。"},
    "admin.settings": {
        "en": "**Settings for this server**\nChannels: {channels}\nImages per member per day: {user_day}\n"
        "Images per day for the server: {server_day}\nCooldown: {cooldown}\nLargest n: {max_n}\n"
        "Highest quality: {quality}\nAllowed models: {models}\nDaily budget: {budget}\nModeration: {moderation}\n"
        "Language: {language}\nExempt roles: {roles}\nDefault model: {model}\nLog channel: {log}",
        "zh": "**本服务器的设置**\n频道：{channels}\n每位成员每日张数：{user_day}\n服务器每日张数：{server_day}\n"
        "冷却时间：{cooldown}\n最大张数：{max_n}\n最高质量：{quality}\n允许的模型：{models}\n每日预算：{budget}\n"
        "审核级别：{moderation}\n语言：{language}\n豁免身份组：{roles}\n默认模型：{model}\n日志频道：{log}",
    },
    "admin.limit.server": {"en": "{value} (set by this server)", "zh": "{value}（本服务器设置）"},
    "admin.limit.operator": {"en": "{value} (the bot operator's limit)", "zh": "{value}（机器人运营者的限制）"},
    "admin.limit.none": {"en": "no limit", "zh": "不限"},
    "admin.ceiling.images_per_user_day": {
        "en": "The bot's operator allows at most {ceiling} images per member per day, so this server can set "
        "{ceiling} or fewer (0 keeps the operator's limit), not {value}.",
        "zh": "机器人运营者规定每位成员每天最多 {ceiling} 张，本服务器只能设为 {ceiling} 或更少"
        "（0 表示沿用运营者的限制），不能设为 {value}。",
    },
    "admin.ceiling.images_per_server_day": {
        "en": "The bot's operator allows at most {ceiling} images per server per day, so this server can set "
        "{ceiling} or fewer (0 keeps the operator's limit), not {value}.",
        "zh": "机器人运营者规定每个服务器每天最多 {ceiling} 张，本服务器只能设为 {ceiling} 或更少"
        "（0 表示沿用运营者的限制），不能设为 {value}。",
    },
    "admin.ceiling.cooldown_seconds": {
        "en": "The bot's operator asks for at least {ceiling} seconds between one member's requests, so this server "
        "can set {ceiling} or more (0 keeps the operator's cooldown), not {value}.",
        "zh": "机器人运营者要求同一成员两次请求之间至少间隔 {ceiling} 秒，本服务器只能设为 {ceiling} 或更长"
        "（0 表示沿用运营者的设置），不能设为 {value}。",
    },
    "admin.ceiling.daily_budget": {
        "en": "The bot's operator allows at most ${ceiling} a day per server, so this server can set {ceiling} or "
        "less (0 keeps the operator's budget), not {value}.",
        "zh": "机器人运营者规定每个服务器每天最多 {ceiling} 美元，本服务器只能设为 {ceiling} 或更少"
        "（0 表示沿用运营者的预算），不能设为 {value}。",
    },
    "admin.everywhere": {"en": "everywhere", "zh": "所有频道"},
    "admin.default": {"en": "the bot's default ({value})", "zh": "机器人默认（{value}）"},
    "admin.none": {"en": "none", "zh": "无"},
    "field.channels": {"en": "channels", "zh": "频道"},
    "field.images_per_user_day": {"en": "images per member per day", "zh": "每位成员每日张数"},
    "field.images_per_server_day": {"en": "images per day for the server", "zh": "服务器每日张数"},
    "field.cooldown_seconds": {"en": "cooldown (seconds)", "zh": "冷却时间（秒）"},
    "field.max_images": {"en": "largest n", "zh": "最大张数"},
    "field.default_model": {"en": "default model", "zh": "默认模型"},
    "field.log_channel": {"en": "log channel", "zh": "日志频道"},
    "field.language": {"en": "language", "zh": "语言"},
    "field.max_quality": {"en": "highest quality", "zh": "最高质量"},
    "field.allowed_models": {"en": "allowed models", "zh": "允许的模型"},
    "field.daily_budget": {"en": "daily budget (USD)", "zh": "每日预算（美元）"},
    "field.moderation": {"en": "moderation", "zh": "审核级别"},
    "field.exempt_roles": {"en": "exempt roles", "zh": "豁免身份组"},
    "admin.any": {"en": "any", "zh": "全部"},
    "admin.each": {"en": "each member's own", "zh": "跟随每位成员"},
    # Requests refused before any API call: each says what to change.
    "invalid.prompt_empty": {
        "en": "Please describe what to draw.",
        "zh": "请描述想画的内容。",
    },
    "invalid.prompt_too_long": {
        "en": "Your prompt has {length} characters; {model} takes at most {limit}. Please shorten it by {excess}.",
        "zh": "提示词有 {length} 个字符，{model} 最多接受 {limit} 个。请删减 {excess} 个字符。",
    },
    "invalid.n_range": {
        "en": "You can ask for 1 to {limit} images at a time; please pick a number in that range.",
        "zh": "每次可以生成 1 到 {limit} 张图片，请在这个范围内选择。",
    },
    "invalid.n_model": {
        "en": "{model} makes only {limit} image per request. Set n to {limit}, or pick another model.",
        "zh": "{model} 每次只能生成 {limit} 张图片。请把 n 设为 {limit}，或换一个模型。",
    },
    "invalid.size_model": {
        "en": "{model} cannot draw {size}. It takes: auto, {sizes}. Please pick one of those, or another model.",
        "zh": "{model} 不能生成 {size} 尺寸。它支持：auto、{sizes}。请从中选择，或换一个模型。",
    },
    "invalid.size_auto": {
        "en": "{model} chooses its own size, so it cannot draw {size}. Please leave size on auto.",
        "zh": "{model} 自行决定尺寸，不能指定 {size}。请把尺寸设为自动。",
    },
    "invalid.size_ratio": {
        "en": "{model} cannot draw {size}. It takes these shapes: {ratios}. Please pick one of those.",
        "zh": "{model} 不能生成 {size}。它支持这些比例：{ratios}。请从中选择。",
    },
    "invalid.size_free": {
        "en": "{model} cannot draw {size}. It takes any width×height with both sides multiples of {multiple}, from "
        "1:{ratio} to {ratio}:1, at most {side} pixels a side, for example {examples}.",
        "zh": "{model} 不能生成 {size}。它支持任意宽×高：两边都是 {multiple} 的倍数，比例在 1:{ratio} 到 {ratio}:1 "
        "之间，每边最多 {side} 像素，例如 {examples}。",
    },
    "invalid.quality": {
        "en": "The quality {quality} is not offered. Please pick one of: {qualities}.",
        "zh": "不支持质量 {quality}。请从这些中选择：{qualities}。",
    },
    "invalid.quality_model": {
        "en": "{model} has no quality choice. Please leave quality on auto.",
        "zh": "{model} 不支持选择质量。请把质量设为自动。",
    },
    "invalid.quality_some": {
        "en": "{model} does not take the quality {quality}. It takes: auto, {qualities}.",
        "zh": "{model} 不支持质量 {quality}。它支持：auto、{qualities}。",
    },
    "invalid.background": {
        "en": "The background {background} is not offered.",
        "zh": "不支持背景 {background}。",
    },
    "invalid.background_model": {
        "en": "{model} cannot make a {background} background. Leave background on auto, or pick a GPT image model.",
        "zh": "{model} 不能生成{background}背景。请把背景设为自动，或换用 GPT 图像模型。",
    },
    "invalid.model": {
        "en": "The model name {model} is not valid. Please pick one from the list.",
        "zh": "模型名称 {model} 无效，请从列表中选择。",
    },
    "invalid.reference_model": {
        "en": "{model} cannot work from a reference image. Pick a GPT image model, or leave the image out.",
        "zh": "{model} 不能根据参考图生成。请换用 GPT 图像模型，或不附图片。",
    },
    "invalid.option.integer": {
        "en": "The option **{option}** takes a whole number. Please try again with one.",
        "zh": "选项 **{option}** 需要一个整数，请重新填写。",
    },
    "invalid.option.integer_range": {
        "en": "The option **{option}** takes a whole number from {low} to {high}. Please try again with one.",
        "zh": "选项 **{option}** 需要 {low} 到 {high} 之间的整数，请重新填写。",
    },
    "invalid.option.number": {
        "en": "The option **{option}** takes a number. Please try again with one.",
        "zh": "选项 **{option}** 需要一个数字，请重新填写。",
    },
    "invalid.option.number_range": {
        "en": "The option **{option}** takes a number from {low} to {high}. Please try again with one.",
        "zh": "选项 **{option}** 需要 {low} 到 {high} 之间的数字，请重新填写。",
    },
    "invalid.option.boolean": {
        "en": "The option **{option}** takes true or false. Please pick one.",
        "zh": "选项 **{option}** 只能选 true 或 false，请重新选择。",
    },
    "invalid.option.pick": {
        "en": "The option **{option}** takes one of the things Discord offers to pick. Please pick one from its list.",
        "zh": "选项 **{option}** 需要从 Discord 提供的列表中选择，请从列表中选一个。",
    },
    "invalid.option.choice": {
        "en": "The option **{option}** takes one of: {choices}. Please pick one from its list.",
        "zh": "选项 **{option}** 只能是以下之一：{choices}。请从列表中选择。",
    },
    "invalid.option.string": {
        "en": "The option **{option}** takes text. Please try again with some.",
        "zh": "选项 **{option}** 需要填写文字，请重新填写。",
    },
    # Uploaded reference images.
    "upload.too_large": {
        "en": "That image is {size_mb} MB; the most I take is {limit_mb} MB. Please send a smaller one.",
        "zh": "这张图片有 {size_mb} MB，最大只接受 {limit_mb} MB。请换一张小一点的图片。",
    },
    "upload.not_image": {
        "en": "That file is not an image I can read (whatever its name says). Please send a PNG, JPEG or WebP.",
        "zh": "这个文件不是可读取的图片（无论文件名是什么）。请发送 PNG、JPEG 或 WebP 图片。",
    },
    "upload.format": {
        "en": "Please send the reference as a PNG, JPEG or WebP image.",
        "zh": "请用 PNG、JPEG 或 WebP 格式的图片作为参考图。",
    },
    "upload.animated": {
        "en": "Animated images cannot be used as a reference. Please send a still PNG, JPEG or WebP.",
        "zh": "动图不能用作参考图。请发送静态的 PNG、JPEG 或 WebP 图片。",
    },
    "upload.too_many_pixels": {
        "en": "That image has more than {limit} million pixels, more than I can open safely. Please send a smaller "
        "one.",
        "zh": "这张图片超过 {limit} 百万像素，超出了可以安全打开的范围。请换一张小一点的图片。",
    },
    "upload.unreadable": {
        "en": "I could not download that image from Discord. Please try again.",
        "zh": "无法从 Discord 下载这张图片，请再试一次。",
    },
    "status.preparing": {"en": "⏳ Checking your image…", "zh": "⏳ 正在检查你的图片……"},
    # Refusals: kind, private, and helpful.
    "refused.moderation": {
        "en": "🙏 The image service's safety system turned this prompt down, so nothing was drawn. "
        "It is usually one word or name; a small change often does it.",
        "zh": "🙏 图像服务的安全系统拒绝了这条提示词，所以没有生成图片。"
        "通常只是某个词或名字的问题，稍作修改往往就能通过。",
    },
    "refused.content_policy": {
        "en": "🙏 This prompt was turned down by the model's content policy, so nothing was drawn. "
        "A small change in wording often does it.",
        "zh": "🙏 这条提示词没有通过模型的内容政策，所以没有生成图片。稍微改一下措辞往往就能通过。",
    },
    "refused.sensitive_words": {
        "en": "🙏 The image service's word filter stopped this prompt before it was drawn. "
        "Rewording the flagged part usually does it.",
        "zh": "🙏 图像服务的敏感词过滤在生成前拦下了这条提示词。改写被拦的部分通常就能通过。",
    },
    "refused.empty": {
        "en": "🙏 The image service answered but drew nothing: its safety filter most likely stopped every image. "
        "Rephrasing usually helps.",
        "zh": "🙏 图像服务有回应，但没有生成任何图片：很可能每张图都被安全过滤拦下了。换个说法通常会有帮助。",
    },
    "refused.tips": {"en": _TIPS_EN, "zh": _TIPS_ZH},
    "refused.cooloff": {
        "en": "Several prompts were turned down in a short time, so let's take a short break: you can ask again "
        "<t:{ready}:R>. Meanwhile the tips below may help with the next one.",
        "zh": "短时间内有好几条提示词被拒绝，先休息一下吧：<t:{ready}:R> 后可以再次请求。"
        "下面的建议也许对下一条有帮助。",
    },
    "limit.budget": {
        "en": "💰 This server has spent today's image budget. New requests open again <t:{reset}:t> (<t:{reset}:R>).",
        "zh": "💰 本服务器今天的图片预算已用完。<t:{reset}:t>（<t:{reset}:R>）恢复接受新请求。",
    },
    "limit.budget_fewer": {
        "en": "💰 This request would pass this server's budget for today: about {left} of these images' worth is "
        "left. Ask for {left} or fewer (a lower quality costs less), or for more from <t:{reset}:t> "
        "(<t:{reset}:R>).",
        "zh": "💰 这次请求会超出本服务器今天的预算：剩下的预算大约还够 {left} 张这样的图片。请要 {left} 张或更少"
        "（较低的质量更便宜），或在 <t:{reset}:t>（<t:{reset}:R>）之后再多要。",
    },
    "limit.quality": {
        "en": "Here images are drawn at {cap} quality at most. Please choose {cap} or lower.",
        "zh": "这里最高只能使用{cap}质量。请选择{cap}或更低的质量。",
    },
    "limit.model": {
        "en": "The model {model} is not offered here. Please pick one of: {models}.",
        "zh": "这里不提供模型 {model}。请从这些中选择：{models}。",
    },
    "limit.cooloff": {
        "en": "☕ Taking a short break after several refused prompts: you can ask again <t:{ready}:R>.",
        "zh": "☕ 多条提示词被拒绝后需要休息一下：<t:{ready}:R> 后可以再次请求。",
    },
    "log.cooloff": {
        "en": "{user} has had several prompts refused and is cooling off until <t:{ready}:t>.",
        "zh": "{user} 多条提示词被拒绝，冷静期到 <t:{ready}:t>。",
    },
    "refused.artist": {
        "en": "Your prompt names **{name}**, a living artist, and such names are refused. "
        "Describe the style instead, for example: *{style}*",
        "zh": "提示词里提到了在世艺术家 **{name}**，这类名字会被拒绝。请改为描述风格，例如：*{style}*",
    },
    "refused.suggested": {"en": "Try this:", "zh": "试试这样写："},
    "refused.your_prompt": {
        "en": "Your prompt, to copy and change:",
        "zh": "你的提示词，方便复制修改：",
    },
    "refused.prompt_attached": {
        "en": "Your prompt is attached as a text file, to copy and change.",
        "zh": "你的提示词已作为文本文件附上，方便复制修改。",
    },
    # Everything else that can go wrong: what happened and what to do.
    "error.rate_limited": {
        "en": "⏳ The image service is busy right now and asked us to slow down. Please try again in a minute.",
        "zh": "⏳ 图像服务现在很忙，要求放慢请求。请过一分钟再试。",
    },
    "error.quota": {
        "en": "💳 The bot's image credit is used up, so it cannot draw for now. The server's admins have been "
        "told in the bot's log; please try again later.",
        "zh": "💳 机器人的图像额度已经用完，暂时无法生成。已在日志中通知管理员，请稍后再试。",
    },
    "error.auth": {
        "en": "🔧 The bot cannot sign in to its image service. This is a set-up problem for the bot's operator, "
        "not something you did; it has been logged.",
        "zh": "🔧 机器人无法登录图像服务。这是机器人运营者的配置问题，不是你的原因，已记录在日志中。",
    },
    "error.model_not_found": {
        "en": "🔧 The image service has no model called **{model}** (any more). Please pick another model.",
        "zh": "🔧 图像服务（已经）没有名为 **{model}** 的模型。请换一个模型。",
    },
    "error.model_gone.server": {
        "en": "🔧 **{model}**, this server's default model, is no longer available from the image service. Please "
        "pick another model for now; the server's admins can change the default with /imagine-admin model.",
        "zh": "🔧 本服务器的默认模型 **{model}** 已无法使用。请先换一个模型；服务器管理员可以用 /imagine-admin model "
        "更换默认模型。",
    },
    "error.model_gone.operator": {
        "en": "🔧 **{model}**, the bot's default model, is no longer available from the image service. Please pick "
        "another model for now; the bot's operator has been told in the log.",
        "zh": "🔧 机器人的默认模型 **{model}** 已无法使用。请先换一个模型；已在日志中通知机器人运营者。",
    },
    "error.unavailable": {
        "en": "🌩️ The image service cannot be reached right now. Nothing was drawn; please try again in a few minutes.",
        "zh": "🌩️ 暂时无法连接图像服务，没有生成图片。请过几分钟再试。",
    },
    "error.timeout": {
        "en": "⌛ The image service took too long to answer. It may still have been working, so the bot did not "
        "ask again. Please try again, perhaps with a lower quality.",
        "zh": "⌛ 图像服务响应超时。它可能仍在处理，所以机器人没有重复请求。请再试一次，或者降低质量。",
    },
    "error.bad_response": {
        "en": "🌩️ The image service sent back something that was not a usable answer. Please try again.",
        "zh": "🌩️ 图像服务返回了无法使用的内容。请再试一次。",
    },
    "error.upstream_failed": {
        "en": "🌩️ The image service ran into an error of its own. Please try again in a little while.",
        "zh": "🌩️ 图像服务自身出错了。请稍后再试。",
    },
    "error.rejected": {
        "en": "🔧 The image service did not accept these settings. Try another size, quality or model.",
        "zh": "🔧 图像服务不接受这组设置。请换一个尺寸、质量或模型。",
    },
    "error.stream_cut": {
        "en": "⌛ The image service stopped part way through drawing. It may still have charged for the image, so "
        "the bot did not ask again. Please try again.",
        "zh": "⌛ 图像服务在生成途中中断了。它可能已经计费，所以机器人没有重复请求。请再试一次。",
    },
    "error.bot_permissions": {
        "en": "🔧 I am missing permissions in this channel ({permissions}). A server admin can give them to me.",
        "zh": "🔧 我在这个频道缺少权限（{permissions}）。服务器管理员可以为我开启。",
    },
    "error.cooldown": {
        "en": "⏳ That command needs a short pause: you can use it again <t:{ready}:R>.",
        "zh": "⏳ 这个命令需要稍等：<t:{ready}:R> 后可以再用。",
    },
    "error.guild_only": {
        "en": "This command works in servers only.",
        "zh": "这个命令只能在服务器中使用。",
    },
    "error.option": {
        "en": "One of the options is not something I can use. Please pick it again from Discord's list.",
        "zh": "有一个选项无法使用，请从 Discord 的列表中重新选择。",
    },
    "error.check": {
        "en": "You cannot use this command here.",
        "zh": "你不能在这里使用这个命令。",
    },
    "error.unexpected": {
        "en": "😵 Something went wrong on the bot's side. It has been logged; please try again.",
        "zh": "😵 机器人这边出了点问题，已记录在日志中。请再试一次。",
    },
}


def language(locale: object) -> str:
    """The catalogue language for a Discord locale such as ``zh-CN`` or ``en-US``: Chinese or English."""
    return CHINESE if str(locale).lower().startswith("zh") else ENGLISH


def t(locale: object, key: str, **params: Any) -> str:
    """The text ``key`` in the language of ``locale``, filled in with ``params``."""
    entry = CATALOGUE[key]
    return entry[language(locale)].format(**params)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, with an ellipsis where it was cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…"


def elapsed(seconds: float) -> str:
    """Elapsed time as ``m:ss``."""
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"
