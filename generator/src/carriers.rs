//! Carriers: the pieces of text that bring personal data into a post, and the look-alikes that bring none.
//!
//! The template sentences in [`crate::templates`] carry one clause per value after an opener ("By the way,
//! my friend X came along"), which teaches a detector one shape of sentence. Real posts name people by first
//! name in stories, by title and surname, in possessives, dialogue, photo credits, signatures, comment blocks
//! and giveaways, and give numbers in contact blocks and lists. A carrier is one of those: a *frame* (a small
//! template with typed slots, each with a stable id) filled from a sampled [`Persona`], with the code-point
//! spans of every value in it. [`hard_negative`] gives the opposite: public figures, places, brands, fictional
//! characters, headings, order numbers, sizes, prices and text that talks *about* personal data, with no span.
//! [`place`] puts carriers into a post at sentence or paragraph boundaries and shifts the spans.
//!
//! Template syntax: `{slot}` is a value; person slots (`first`, `full`, `title`, and `first2`… for a second
//! and third person) and one slot per type (`email`, `phone`, `address`, `url`, `dob`, `id`, `card`, `iban`,
//! `ip`, `user`) become spans, the helper slots (`idname`, `Idname`, `cardbrand`, `platform`, `social`) are
//! plain words derived from the value they describe, so the words never contradict it. `[her|his]` picks by
//! the first person's gender. A slot used twice holds the same value twice (the same person mentioned twice,
//! both mentions labelled). Every literal word of a positive frame is free of personal data (tested): no
//! other names, no digits.

use crate::error::GeneratorError;
use crate::pii::names::{Gender, Name};
use crate::pii::{self, Persona};
use blogbot_common::{PiiType, Span};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::Rng;
use std::collections::HashMap;
use std::sync::OnceLock;

/// A piece of text to put into a post, with the spans of the personal data in it (code points, relative to
/// `text`).
#[derive(Debug, Clone, PartialEq)]
pub struct Carrier {
    pub text: String,
    pub spans: Vec<Span>,
    /// The id of the frame it was made from (for a carrier composed of several sentences, the first one's).
    pub frame: &'static str,
    pub kind: CarrierKind,
}

/// How a carrier sits in a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CarrierKind {
    /// One or more sentences; goes at a sentence boundary.
    Sentence,
    /// Its own paragraph (blocks, signatures, lists, comment blocks, photo credits); goes at a paragraph
    /// break, the start or the end. Frames whose id starts with `sig.` or `comment.` go at the end only,
    /// `intro.` at the start only.
    Paragraph,
}

/// A condition a frame puts on the value it carries, so its words cannot contradict it: the value of the
/// type must (or must not) have a description containing the text.
#[derive(Debug, Clone, Copy)]
enum When {
    Any,
    Is(PiiType, &'static str),
    Not(PiiType, &'static str),
}

impl When {
    fn holds(self, p: &Persona) -> bool {
        match self {
            When::Any => true,
            When::Is(ty, s) => p.value(ty).description.contains(s),
            When::Not(ty, s) => !p.value(ty).description.contains(s),
        }
    }
}

/// A template with typed slots.
#[derive(Debug, Clone, Copy)]
struct Frame {
    id: &'static str,
    kind: CarrierKind,
    text: &'static str,
    when: When,
}

const fn s(id: &'static str, text: &'static str) -> Frame {
    Frame { id, kind: CarrierKind::Sentence, text, when: When::Any }
}
const fn p(id: &'static str, text: &'static str) -> Frame {
    Frame { id, kind: CarrierKind::Paragraph, text, when: When::Any }
}
const fn sw(id: &'static str, text: &'static str, when: When) -> Frame {
    Frame { id, kind: CarrierKind::Sentence, text, when }
}
const fn pw(id: &'static str, text: &'static str, when: When) -> Frame {
    Frame { id, kind: CarrierKind::Paragraph, text, when }
}

const SITE: When = When::Is(PiiType::Url, "personal website");
const SOCIAL: When = When::Not(PiiType::Url, "personal website");
const MOBILE: When = When::Is(PiiType::Phone, "mobile");
const LANDLINE: When = When::Is(PiiType::Phone, "landline");
const PASSPORT: When = When::Is(PiiType::IdNumber, "passport");
const NINO: When = When::Is(PiiType::IdNumber, "National Insurance");
const SSN: When = When::Is(PiiType::IdNumber, "Social Security");
const PRIVATE_IP: When = When::Is(PiiType::IpAddress, "private");
const IPV6: When = When::Is(PiiType::IpAddress, "IPv6");

/// Positive frames. Ids are stable: the dataset report counts them.
#[rustfmt::skip]
const FRAMES: &[Frame] = &[
    // PERSON by first name: people doing things in stories.
    s("p.came-over-shed", "{first} came over on Saturday and we finally tackled the shed."),
    s("p.both-exhausted", "{first} and I are both exhausted after the move."),
    s("p.stiff-legs", "{first} and I could barely climb the stairs after yesterday's hike."),
    s("p.weekends-only", "Between {first}'s shifts and mine, the garden only gets the weekends."),
    s("p.shortbread", "My lovely friend {first} turned up with a tin of shortbread."),
    s("p.sibling-staying", "My [sister|brother] {first} has been staying with us this week."),
    s("p.thanks-ladder", "Thanks, {first}, for the loan of the ladder!"),
    s("p.dialogue-coming", "\"Are you coming?\" {first} asked."),
    s("p.poss-dog", "{first}'s dog spent the whole afternoon chasing the hens."),
    s("p.told", "I told {first} I would have it finished by the weekend."),
    s("p.paint-hallway", "{first} popped round on Tuesday to help me paint the hallway."),
    s("p.met-market", "We bumped into {first} at the market and ended up chatting for an hour."),
    s("p.talked-into", "{first} talked me into signing up for the half marathon."),
    s("p.torch", "I couldn't have done it without {first}, who held the torch while I fiddled with the wiring."),
    s("p.lemon-drizzle", "{first} brought [her|his] famous lemon drizzle, and it vanished in minutes."),
    s("p.neighbour-hens", "Our neighbour {first} keeps an eye on the chickens when we're away."),
    s("p.says-trick", "{first} says the trick is to water in the evening, never at midday."),
    s("p.thanks-proofread", "Huge thanks to {first} for proofreading this post."),
    s("p.cards-late", "Last night {first} and I stayed up far too late playing cards."),
    s("p.asked-laughed", "I asked {first} what [she|he] thought, and [she|he] just laughed."),
    s("p.dialogue-never", "\"You'll never finish it in time,\" said {first}."),
    s("p.dialogue-kettle", "\"Put the kettle on,\" {first} called from the garden."),
    s("p.poss-garden", "{first}'s garden is looking amazing this year."),
    s("p.poss-trailer", "We borrowed {first}'s trailer to shift the old sofa."),
    s("p.kids-picnic", "{first} and [her|his] kids joined us for the picnic."),
    s("p.sleeves", "When {first} saw the mess, [she|he] rolled up [her|his] sleeves and got stuck in."),
    s("p.running-buddy", "{first} has been my running buddy for years now."),
    s("p.child-colours", "My [daughter|son] {first} picked the colours for the quilt."),
    s("p.parent-bread", "My [mum|dad], {first}, taught me everything I know about bread."),
    s("p.spouse-driving", "My [wife|husband] {first} did all the driving, bless [her|him]."),
    s("p.next-door-courgettes", "{first} from next door popped round with a bag of courgettes."),
    s("p.coffee", "I finally caught up with {first} over coffee."),
    s("p.photo-jumper", "{first} sent me a photo of the finished jumper and I'm so proud."),
    s("p.reason-knitting", "{first} is the reason I started knitting in the first place."),
    s("p.happy-birthday", "Happy birthday, {first}!"),
    s("p.welcome-back", "Welcome back, {first}, we missed you!"),
    s("p.running-late", "{first} rang to say [she|he] was running late, so we started without [her|him]."),
    s("p.stayed-with", "We stayed with {first} for a few nights on the way home."),
    s("p.knitted-hat", "{first} knitted the little hat in the photo above."),
    s("p.medal", "Honestly, {first} deserves a medal for putting up with me this month."),
    s("p.tent", "{first} couldn't stop laughing when the tent collapsed."),
    s("p.always-says", "As {first} always says, there's no such thing as bad weather."),
    s("p.according", "According to {first}, the secret is patience and a very sharp knife."),
    s("p.known-school", "I've known {first} since we were at school together."),
    s("p.cuttings", "{first} gave me these cuttings last spring, and look at them now."),
    s("p.dialogue-flask", "\"Don't forget the flask,\" {first} reminded me."),
    s("p.dialogue-lost", "{first} looked at the map and said, \"We're lost, aren't we?\""),
    s("p.dialogue-where", "\"Where did you get that?\" asked {first}."),
    s("p.dear", "Dear {first}, if you're reading this, thank you."),
    s("p.shout-out", "A quick shout-out to {first}, who fixed my bike for nothing."),
    s("p.go-for-it", "So {first} and I decided to just go for it."),
    s("p.drove-up", "{first} drove up from the coast to help with the harvest."),
    s("p.lent-book", "I lent {first} my copy and never saw it again."),
    s("p.taught-chisel", "{first} taught me how to sharpen a chisel properly."),
    s("p.poss-wedding", "We went to {first}'s wedding last weekend and danced until midnight."),
    s("p.hiking-partner", "My hiking partner {first} spotted the deer first."),
    s("p.soaked", "Poor {first} got soaked on the way back."),
    s("p.texted", "I texted {first} a picture of the bread and [she|he] replied with a row of exclamation marks."),
    s("p.two-walk", "{first} and {first2} came along for the walk."),
    s("p.two-cabin", "{first}, {first2} and I split the cost of the cabin."),
    s("p.three-thanks", "Thanks to {first}, {first2} and {first3} for all the help on moving day."),
    s("p.two-tables", "{first2} and {first} set up the tables while I cooked."),
    s("p.introduced", "I introduced {first} to {first2}, and they got on like a house on fire."),
    s("p.two-poss", "{first}'s [husband|wife] and {first2} did all the heavy lifting."),
    s("p.three-quiz", "Our quiz team was {first}, {first2}, {first3} and me, and we came last."),
    s("p.twice-tiles", "I asked {first} about the tiles. {first} has redone three bathrooms, so I listened."),
    s("p.twice-dialogue", "\"Nearly there,\" said {first}. {first} was lying, of course."),
    s("p.twice-thanks", "{first} did all the sanding. Thank you, {first}!"),
    s("p.twice-poss", "{first}'s sourdough is legendary, and {first} refuses to share the starter."),
    // PERSON by full name.
    s("p.full-met-fair", "I finally met {full} at the craft fair."),
    s("p.full-workshop", "The workshop was run by {full}, who was endlessly patient."),
    s("p.giveaway-congrats", "Congratulations to {full}, who won the hamper!"),
    s("p.giveaway-winner", "The winner of this month's giveaway is {full}."),
    s("p.giveaway-hat", "The names went into a hat, and out came {full}!"),
    s("p.giveaway-well-done", "Well done, {first}! Email me and I'll post your prize."),
    s("p.full-recipe", "{full} kindly shared [her|his] recipe with me."),
    s("p.full-teacher", "My old teacher, {full}, would have loved this."),
    s("p.full-pattern", "I bought the pattern from {full} at the spring fair."),
    s("p.full-committee", "A big welcome to {full}, who joined the allotment committee this month."),
    s("p.full-comment-left", "{full} left the loveliest comment on my last post."),
    s("p.full-designer", "The quilt pattern is by {full}, and it's free."),
    s("p.full-poss", "I've been working through {full}'s back catalogue of patterns."),
    s("p.full-then-first", "I went on a course with {full} last year. {first} is the most patient teacher I've met."),
    s("p.full-builder", "We hired {full} to rebuild the wall, and [she|he] did a lovely job."),
    s("p.full-allotment", "The allotment next to ours belongs to {full}."),
    s("p.full-two", "{full} and {full2} ran the stall together all weekend."),
    // PERSON by title and surname.
    s("p.title-plants", "{title} next door has offered to water the plants."),
    s("p.title-piano", "Our old piano teacher, {title}, still lives on the same street."),
    s("p.title-roof", "{title} told us the roof would need replacing."),
    s("p.title-garden-centre", "We bumped into {title} at the garden centre."),
    s("p.title-poss-class", "{title}'s class put on a wonderful show."),
    s("p.title-sit-up", "I still remember {title} telling us to sit up straight."),
    s("p.title-head", "The new head teacher, {title}, gave a lovely speech."),
    s("p.title-letter", "A letter arrived from {title}, thanking us for the cake."),
    s("p.title-noticed", "{title} was the only one who noticed."),
    s("p.title-bees", "Apparently {title} has been keeping bees for forty years."),
    s("p.title-appointment", "I had an appointment with {title} on Tuesday, and the news was good."),
    s("p.title-two", "{title} and {title2} judged the baking contest."),
    s("p.title-then-first", "Everyone calls [her|him] {title}, but to us [she|he] was always {first}."),
    s("p.title-poss-advice", "I took {title}'s advice and repotted everything."),
    // PERSON in photo credits, lists, guest posts, signatures and comment blocks.
    p("credit.photo-full", "Photo: {full}"),
    p("credit.photo-by-first", "(photo by {first})"),
    p("credit.photos-full", "All photos by {full}."),
    p("credit.camera", "📷 {full}"),
    p("credit.pictured-two", "Pictured: {first} and {first2} at the top of the hill."),
    p("credit.above", "Above: {first} with the finished quilt."),
    p("credit.illustrations", "Illustrations by {full}."),
    p("credit.title", "Photo credit: {title}"),
    p("credit.left-right", "Left to right: {first}, {first2} and {first3}."),
    p("credit.courtesy", "Image courtesy of {full}."),
    p("list.winners", "Winners:\n- {full}\n- {full2}\n- {full3}"),
    p("list.helpers", "This year's helpers:\n- {first}\n- {first2}\n- {first3}"),
    p("list.thanks-full", "With thanks to {full} and {full2}."),
    p("intro.guest", "Today's guest post is by {full}."),
    p("intro.handing-over", "This week I'm handing the blog over to {full}."),
    p("intro.welcome", "Please welcome {full}, who is guest posting today!"),
    p("intro.byline", "By {full}"),
    p("sig.love", "Love,\n{first}"),
    p("sig.dash-x", "— {first} x"),
    p("sig.cheers-full", "Cheers, {full}"),
    p("sig.until-next", "Until next time,\n{first}"),
    p("sig.best-wishes", "Best wishes,\n{full}"),
    p("sig.xx", "xx {first}"),
    p("sig.happy-stitching", "Happy stitching!\n{first}"),
    p("sig.thanks-reading", "Thanks for reading,\n{first} x"),
    p("sig.bare", "{first} x"),
    p("sig.warmly", "Warmly,\n{full}"),
    p("sig.two", "Love from {first} and {first2}"),
    p("comment.says", "{first} says:\nLovely post! I've been meaning to try this for ages."),
    p("comment.said", "{full} said...\nThis made me laugh out loud."),
    p("comment.from", "Comment from {full}: Beautiful photos, thanks for sharing."),
    p("comment.reply", "{first} says:\nGorgeous colours!\n\nReply: Thanks so much, {first}!"),
    p("comment.two", "{first} says:\nWhat a view!\n\n{first2} says:\nAgreed, I want to go right now."),
    p("comment.wrote", "{first} wrote:\nI made this last night and it was perfect."),
    p("comment.replying", "Replying to {full}: yes, it freezes beautifully."),
    // EMAIL.
    s("e.reach", "You can reach me at {email} any time."),
    s("e.pattern", "Email me at {email} if you'd like the pattern."),
    s("e.questions", "Questions? Drop me a line at {email}."),
    s("e.entries", "Send your entries to {email} by Friday."),
    s("e.mistake", "If you spot a mistake, write to {email} and I'll fix it."),
    s("e.swap", "I've set up {email} just for the swap."),
    s("e.old", "My old address, {email}, is full of spam these days."),
    s("e.photos", "Any questions (or photos!) to {email}, please."),
    p("e.block-email", "Email: {email}"),
    p("e.block-contact", "Contact: {email}"),
    p("e.block-touch", "Get in touch: {email}"),
    // PHONE.
    s("ph.garage", "I rang the garage on {phone} and they squeezed me in."),
    s("ph.text-me", "Text me on {phone} if you want to come along."),
    s("ph.ring", "My number is {phone}, so give me a ring."),
    s("ph.book", "You can book a slot by calling {phone}."),
    s("ph.plumber", "The plumber finally called back from {phone}."),
    sw("ph.mobile", "My mobile is {phone} if you get lost on the way.", MOBILE),
    sw("ph.whatsapp", "WhatsApp me on {phone} and I'll send directions.", MOBILE),
    sw("ph.landline", "Our landline is {phone}, but we rarely answer it.", LANDLINE),
    p("ph.block-phone", "Phone: {phone}"),
    p("ph.block-tel", "Tel: {phone}"),
    pw("ph.block-mob", "Mob: {phone}", MOBILE),
    // ADDRESS.
    s("ad.moved", "We've finally moved to {address}, and the boxes are everywhere."),
    s("ad.entries", "Send your entries to {address}."),
    s("ad.new", "Our new address is {address}, so please update your address books."),
    s("ad.postcards", "Postcards can go to {address}."),
    s("ad.swap", "Swap parcels should be posted to {address} by the end of the month."),
    s("ad.open-garden", "The open garden is at {address}, and everyone is welcome."),
    s("ad.parcel", "The parcel was delivered to {address}, which is not where I live."),
    p("ad.letter", "Please post it to:\n{address}"),
    p("ad.block", "Address: {address}"),
    // URL.
    sw("u.shop", "My shop is at {url}.", SITE),
    sw("u.pattern-site", "I've put the full pattern on my site, {url}.", SITE),
    sw("u.portfolio", "My portfolio lives at {url}.", SITE),
    s("u.photos", "You'll find more of my photos at {url}."),
    sw("u.platform", "I'm on {platform} at {url}.", SOCIAL),
    pw("u.follow-platform", "Follow along on {platform}: {url}", SOCIAL),
    s("u.link", "The link to my page is {url}."),
    p("u.block-web", "Web: {url}"),
    p("u.block-find", "Find me: {url}"),
    // DATE_OF_BIRTH.
    s("d.born-on", "I was born on {dob}, so this birthday is a big one."),
    s("d.birthday", "My birthday is {dob}, and I still expect cake."),
    s("d.record", "For the record, my date of birth is {dob}."),
    s("d.form", "The form asked for my date of birth, so I wrote {dob}."),
    s("d.certificate", "According to my birth certificate, I was born {dob}."),
    s("d.clinic", "The clinic had me down as born {dob}, which is right for once."),
    p("d.block", "DOB: {dob}"),
    p("d.block-long", "Date of birth: {dob}"),
    // ID_NUMBER.
    s("id.read-back", "The clerk read my {idname}, {id}, back to me twice."),
    s("id.phone", "I had to give my {idname}, {id}, over the phone."),
    s("id.accepted", "They finally accepted {id} as my {idname}."),
    s("id.complaint", "I have written three times quoting my {idname}, {id}, and still nothing."),
    sw("id.passport-form", "My passport number, {id}, was on the form.", PASSPORT),
    sw("id.passport-new", "The new passport arrived, number {id}, just in time.", PASSPORT),
    sw("id.nino", "I quoted my NI number, {id}, three times on the call.", NINO),
    sw("id.ssn", "Yes, I know, I should never have written my SSN, {id}, on that form.", SSN),
    p("id.block", "{Idname}: {id}"),
    p("id.block-generic", "ID number: {id}"),
    // CREDIT_CARD (whole numbers only).
    s("c.charged", "My {cardbrand} card, {card}, was charged twice."),
    s("c.file", "The hotel still has {card} on file."),
    s("c.read-out", "For the deposit I read out my card number, {card}, which I now regret."),
    s("c.kept-trying", "The shop kept trying {card} even though I had cancelled it."),
    p("c.block", "Card: {card}"),
    p("c.block-brand", "{cardbrand}: {card}"),
    // IBAN.
    s("ib.send", "Please send the money to my IBAN, {iban}."),
    s("ib.refund", "The refund finally reached {iban}."),
    s("ib.donations", "Donations can go to {iban}, and every bit helps."),
    s("ib.checked", "I checked {iban} three times before pressing send."),
    p("ib.block", "IBAN: {iban}"),
    p("ib.raffle", "Bank details for the raffle: {iban}"),
    // IP_ADDRESS.
    sw("ip.pi", "My Pi sits at {ip} on the home network.", PRIVATE_IP),
    sw("ip.printer", "I gave the printer a fixed address, {ip}, so it stops wandering.", PRIVATE_IP),
    s("ip.server", "The server answers on {ip} now."),
    s("ip.logs", "The logs showed a dozen login attempts from {ip}."),
    s("ip.whitelist", "I whitelisted {ip} in the firewall."),
    s("ip.blocked", "My own IP, {ip}, got blocked by the forum for a day."),
    sw("ip.v6", "IPv6 finally works, and the box got {ip}.", IPV6),
    p("ip.ping", "$ ping {ip}"),
    p("ip.block", "Server: {ip}"),
    // USERNAME.
    s("us.on-social", "I'm {user} on {social}."),
    s("us.follow", "Follow {user} for daily photos."),
    s("us.most-sites", "You can find me as {user} on most sites."),
    s("us.handle", "My handle is {user}, if you want to say hello."),
    s("us.tag", "Tag {user} if you make one!"),
    s("us.shout", "Shout out to {user} for the idea."),
    p("us.block", "Username: {user}"),
    p("us.block-social", "{social}: {user}"),
    // Several types of one person.
    p("m.name-email-angle", "{full} <{email}>"),
    s("m.name-email", "You can email {first} at {email}."),
    s("m.name-email-tickets", "Contact {full} ({email}) for tickets."),
    s("m.name-email-rota", "{first} is collecting names for the rota at {email}."),
    s("m.name-phone-lift", "{first}'s number is {phone} if you need a lift."),
    s("m.title-phone", "Ring {title} on {phone} to book a lesson."),
    p("m.name-phone-list", "- Name: {full}\n- Phone: {phone}"),
    p("m.name-address-envelope", "{full}\n{address}"),
    s("m.name-address-send", "Send it to {full}, {address}."),
    sw("m.name-url-shop", "{first} has a lovely shop at {url}.", SITE),
    s("m.name-url-work", "You can see more of {first}'s work at {url}."),
    p("m.name-url-credit", "Photo: {full} ({url})"),
    s("m.name-user-made", "{first} ({user}) made the one on the left."),
    p("m.name-user-credit", "Photo by {first} / {user}"),
    s("m.name-dob-born", "{first} was born {dob}."),
    p("m.name-dob-block", "Name: {full}\nBorn: {dob}"),
    s("m.name-dob-family", "{full}, born {dob}, was the first of us to go to university."),
    p("m.name-id-form", "Name: {full}\n{Idname}: {id}"),
    s("m.name-card", "{first} read out [her|his] card number, {card}, to the man on the phone."),
    s("m.name-iban", "Send your share to {full}, IBAN {iban}."),
    sw("m.name-ip", "{first}'s laptop is on {ip}, so that's the one to check.", PRIVATE_IP),
    p("sig.contact", "Cheers,\n{full}\n{email}\n{phone}"),
    p("sig.email", "Love,\n{first}\n{email}"),
    p("comment.url", "{full} ({url}) says:\nLovely! Bookmarking this for the weekend."),
    p("m.email-phone-block", "Get in touch:\nEmail: {email}\nPhone: {phone}"),
    s("m.email-phone", "Email {email} or call {phone}."),
    p("m.email-url", "Email: {email}\nWeb: {url}"),
    s("m.address-phone", "Find us at {address} or ring {phone}."),
    p("m.address-phone-email", "Contact\n{address}\nTel: {phone}\n{email}"),
    pw("m.user-url", "I'm {user} on {platform}: {url}", SOCIAL),
    p("m.dob-id", "DOB: {dob}\n{Idname}: {id}"),
];

/// Ids of the generated block styles (contact blocks, lists, tables, sign-offs) that carry any mix of types.
const BLOCKS: &[&str] = &[
    "block.header",
    "block.dash",
    "block.bullet",
    "block.pipe",
    "block.bare",
    "block.table",
    "block.bold",
    "sig.block",
];

/// Hard-negative frames: no personal data, only what looks like it.
#[rustfmt::skip]
const NEGATIVES: &[Frame] = &[
    // Public figures in public-figure context.
    s("n.author-reading", "I've been reading {author} again this winter."),
    s("n.author-shelf", "There's a whole shelf of {author} in the spare room."),
    s("n.chef-recipe", "This is a {chef} recipe, barely adapted."),
    s("n.chef-cookbook", "My battered copy of {chef}'s cookbook finally fell apart."),
    s("n.athlete-watched", "We watched {athlete} on the big screen in the pub."),
    s("n.athlete-poster", "I had a poster of {athlete} on my wall for years."),
    s("n.musician-radio", "The radio played {musician} all the way to {place}."),
    s("n.musician-live", "Seeing {musician} live had been on my list for years."),
    s("n.historic-biography", "I picked up a biography of {historic} in a charity shop."),
    s("n.historic-exhibition", "The {historic} exhibition in {place} was packed."),
    s("n.presenter-series", "{presenter}'s old series is on again and I'm hooked."),
    s("n.presenter-voice", "I could listen to {presenter} talk about anything."),
    s("n.figure-quote", "There's a quote from {figure} pinned above my desk."),
    // Places.
    s("n.place-drove", "We drove from {place} to {place2} in one long day."),
    s("n.place-train", "The train to {place} was delayed again."),
    s("n.place-weekend", "We spent a long weekend in {place} and ate far too much."),
    s("n.place-rained", "It rained every single day we were in {place}."),
    s("n.place-market", "The Saturday market in {place} is worth the early start."),
    p("n.place-heading", "Day {n}: {place} to {place2}"),
    p("n.place-list", "Where we stayed:\n- {place}\n- {place2}\n- {place3}"),
    // Brands and products.
    s("n.brand-drill", "My {tool} drill finally gave up after ten years."),
    s("n.brand-kitchen", "The {kitchen} was a wedding present and it's still going strong."),
    s("n.brand-phone", "I took all of these on my {gadget}."),
    s("n.brand-camera", "I've gone back to my old {camera} for the landscape shots."),
    s("n.brand-car", "The {car} made it up the pass without a single complaint."),
    s("n.brand-shop", "I picked up the fabric at {shop} on the way home."),
    s("n.brand-shop-price", "{shop} had the same thing for half the price."),
    // Fictional characters.
    s("n.fict-dressed", "The little one insisted on dressing up as {fict}."),
    s("n.fict-obsessed", "The kids are obsessed with {fict} at the moment."),
    s("n.fict-afternoon", "It was a very {fict} sort of afternoon."),
    // Capitalised words, headings, months and weekdays.
    s("n.weekday-month", "Every {weekday} in {month} the square fills with stalls."),
    s("n.see-you", "See you next {weekday}!"),
    s("n.closed-until", "The café is closed until {month}."),
    p("n.heading-month", "{month} Favourites"),
    p("n.heading-goals", "Goals for {month}"),
    p("n.heading-packed", "What We Packed (And What We Didn't)"),
    p("n.heading-verdict", "The Verdict"),
    p("n.heading-part", "Part {n}: The Kitchen"),
    s("n.caps-decision", "Honestly? Best Decision Ever."),
    s("n.caps-lesson", "Lesson Learned: Never Trust The Forecast."),
    s("n.house-name", "We stopped for tea at The Old Bakehouse on the way back."),
    // Numbers that are not personal data.
    s("n.order", "Order {order} still hasn't arrived."),
    s("n.post-count", "Somehow this blog has reached {postno} posts, which seems mad."),
    s("n.drill-bit", "You'll need a {mm} mm drill bit for the pilot holes."),
    s("n.shoe-size", "I went for a size {shoe} in the end, half a size up."),
    s("n.model", "The {model} is the quieter of the two."),
    s("n.version", "Version {version} fixed the sync bug at last."),
    s("n.price", "The whole lot came to {price}."),
    s("n.time", "We set off at {time} and were back by lunch."),
    s("n.distance", "The loop is {km} with one nasty climb."),
    s("n.tracking", "The tracking number {tracking} says it's still in the depot."),
    s("n.isbn", "My copy is ISBN {isbn}, the one with the blue cover."),
    s("n.oven", "Bake at {temp}°C for forty minutes."),
    s("n.flour", "You'll need {grams} g of flour and {ml} ml of milk."),
    s("n.score", "They won {score} in the end."),
    s("n.year-built", "The cottage was built in {year}."),
    s("n.steps", "I managed {steps} steps yesterday, mostly up and down the stairs."),
    s("n.pages", "The book runs to {pages} pages, and I read it in two days."),
    s("n.room", "We were in room {room} again, the one with the view."),
    s("n.flight", "Our flight, {flight}, left an hour late."),
    s("n.bus", "The number {bus} bus goes right past the door."),
    s("n.battery", "The battery was down to {pct}% by noon."),
    s("n.sleeps", "Only {n} sleeps until the holiday!"),
    s("n.height", "The summit is {height} m, and it felt every bit of it."),
    s("n.episode", "We're up to series {n}, episode {ep}."),
    s("n.chapter", "I'm stuck on chapter {chapter} of the manual."),
    s("n.rows", "Knit {rows} rows, then cast off loosely."),
    s("n.miles", "The old car passed {miles} miles on the way home."),
    p("n.ingredients", "Ingredients:\n- {grams} g butter\n- {grams2} g sugar\n- {eggs} eggs\n- a pinch of salt"),
    p("n.specs", "Specs:\n- Sensor: {mp} MP\n- Weight: {grams} g\n- Price: {price}"),
    p("n.order-summary", "Order summary\nOrder number: {order}\nTotal: {price}"),
    // Talking about personal data without giving any.
    s("n.lost-passport", "I lost my passport in {place} and spent a day at the consulate."),
    s("n.card-charged", "My card was charged twice for the same order."),
    s("n.bank-dob", "The bank asked for my date of birth before they would tell me anything."),
    s("n.never-phone", "Never post your phone number online, however friendly the group seems."),
    s("n.email-download", "They wanted my email address before I could download it."),
    s("n.address-dentist", "I still haven't updated my address with the dentist."),
    s("n.password", "I reset my password for the third time this month."),
    s("n.id-form", "The form wanted an ID number, a utility bill and a recent photo."),
    s("n.username-forget", "I can never remember which username I picked for that site."),
    s("n.ip-changes", "My IP address changes every time the router restarts."),
    s("n.birthday-secret", "Nobody at work knows when my birthday is, and I'd like to keep it that way."),
    s("n.scam-text", "A scam text pretending to be the post office asked for my card details."),
    s("n.newsletter-form", "The newsletter form only asks for a first name and an email."),
    s("n.vpn", "A VPN hides your IP address from the sites you visit."),
    s("n.new-number", "I got a new phone number after the move and keep giving out the old one."),
    s("n.passport-renew", "Renewing a passport online took all of ten minutes."),
    s("n.iban-invoice", "Paying a foreign invoice means asking for an IBAN and hoping for the best."),
    s("n.names-changed", "Names have been changed to protect the innocent."),
    s("n.no-names", "I won't name names, but someone ate the last scone."),
];

/// Number of positive frames (sentence and paragraph templates plus generated block styles).
pub const POSITIVE_FRAME_COUNT: usize = FRAMES.len() + BLOCKS.len();
/// Number of hard-negative frames.
pub const NEGATIVE_FRAME_COUNT: usize = NEGATIVES.len();
/// Number of distinct frames, for the dataset report's "distinct carrier frames per 1,000 records".
pub const FRAME_COUNT: usize = POSITIVE_FRAME_COUNT + NEGATIVE_FRAME_COUNT;

/// Every frame id: positive frames, block styles, then hard negatives.
pub fn frame_ids() -> impl Iterator<Item = &'static str> {
    FRAMES.iter().map(|f| f.id).chain(BLOCKS.iter().copied()).chain(NEGATIVES.iter().map(|f| f.id))
}

/// Public figures by the context they may appear in.
#[rustfmt::skip]
const PUBLIC: &[(&str, &str)] = &[
    ("author", "Agatha Christie"), ("author", "Jane Austen"), ("author", "Charles Dickens"),
    ("author", "Terry Pratchett"), ("author", "Toni Morrison"), ("author", "Haruki Murakami"),
    ("author", "Stephen King"), ("chef", "Mary Berry"), ("chef", "Delia Smith"), ("chef", "Jamie Oliver"),
    ("chef", "Nigella Lawson"), ("chef", "Yotam Ottolenghi"), ("chef", "Julia Child"),
    ("athlete", "Serena Williams"), ("athlete", "Usain Bolt"), ("athlete", "Roger Federer"),
    ("athlete", "Lionel Messi"), ("athlete", "Simone Biles"), ("athlete", "Mo Farah"),
    ("musician", "David Bowie"), ("musician", "Taylor Swift"), ("musician", "Dolly Parton"),
    ("musician", "Ed Sheeran"), ("musician", "Beyoncé"), ("musician", "Bob Dylan"),
    ("historic", "Marie Curie"), ("historic", "Charles Darwin"), ("historic", "Ada Lovelace"),
    ("historic", "Frida Kahlo"), ("historic", "Vincent van Gogh"), ("historic", "Leonardo da Vinci"),
    ("presenter", "David Attenborough"), ("presenter", "Monty Don"), ("presenter", "Michael Palin"),
    ("presenter", "Oprah Winfrey"), ("presenter", "Bob Ross"),
];

#[rustfmt::skip]
const PLACES: &[&str] = &[
    "Leeds", "York", "Manchester", "Edinburgh", "Cardiff", "Bristol", "Porto", "Lisbon", "Paris", "Lyon",
    "Berlin", "Munich", "Madrid", "Seville", "Rome", "Naples", "Amsterdam", "Utrecht", "Kraków", "Stockholm",
    "Kyoto", "Tokyo", "Mumbai", "Toronto", "Boston", "Chicago", "Melbourne", "Cape Town",
];

/// Brands and products by the context they may appear in.
#[rustfmt::skip]
const BRANDS: &[(&str, &str)] = &[
    ("tool", "Bosch"), ("tool", "Makita"), ("tool", "DeWalt"), ("tool", "Ryobi"),
    ("kitchen", "Le Creuset casserole"), ("kitchen", "KitchenAid mixer"), ("kitchen", "Kenwood Chef"),
    ("kitchen", "Aga"), ("kitchen", "Tefal frying pan"),
    ("gadget", "iPhone 12"), ("gadget", "Pixel 7"), ("gadget", "Galaxy S21"), ("gadget", "iPhone SE"),
    ("camera", "Canon"), ("camera", "Nikon"), ("camera", "Fujifilm X-T3"), ("camera", "Olympus"), ("camera", "Lumix"),
    ("car", "Volvo"), ("car", "Skoda"), ("car", "Land Rover"), ("car", "Toyota Yaris"), ("car", "Mini"),
    ("shop", "IKEA"), ("shop", "Aldi"), ("shop", "Lidl"), ("shop", "John Lewis"), ("shop", "Marks & Spencer"),
    ("shop", "Waitrose"), ("shop", "B&Q"),
];

#[rustfmt::skip]
const FICTIONAL: &[&str] = &[
    "Paddington", "Sherlock Holmes", "Miss Marple", "Hercule Poirot", "Winnie the Pooh", "Peter Rabbit",
    "Mary Poppins", "Willy Wonka", "Peppa Pig", "the Gruffalo", "Bilbo Baggins", "Gandalf", "Hermione Granger",
    "Harry Potter", "Mr Darcy", "Elizabeth Bennet", "Jane Eyre", "Pippi Longstocking", "Tintin", "Matilda",
];

#[rustfmt::skip]
const MONTHS: [&str; 12] = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December",
];
const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// Platforms a username may be quoted for.
const SOCIALS: &[&str] =
    &["Instagram", "Threads", "Bluesky", "Mastodon", "TikTok", "Pinterest", "Flickr", "YouTube", "Ravelry", "Strava"];

/// Platforms a profile URL's description may name (see `pii::web::profile_url`).
#[rustfmt::skip]
const PLATFORMS: &[&str] = &[
    "Instagram", "LinkedIn", "GitHub", "Facebook", "TikTok", "YouTube", "Medium", "Substack", "Flickr", "Strava",
    "Mastodon", "Bluesky", "Behance",
];

/// Person slots: first name, full name, title + surname, for up to three people.
const PERSON_SLOTS: &[&str] = &["first", "full", "title", "first2", "full2", "title2", "first3", "full3", "title3"];
/// Helper slots: words derived from a value, never labelled.
#[cfg(test)]
const HELPER_SLOTS: &[&str] = &["idname", "Idname", "cardbrand", "platform", "social"];

/// The type a slot's value is labelled with; `None` for helper and negative slots.
fn slot_type(slot: &str) -> Option<PiiType> {
    if PERSON_SLOTS.contains(&slot) {
        return Some(PiiType::Person);
    }
    Some(match slot {
        "email" => PiiType::Email,
        "phone" => PiiType::Phone,
        "address" => PiiType::Address,
        "url" => PiiType::Url,
        "dob" => PiiType::DateOfBirth,
        "id" => PiiType::IdNumber,
        "card" => PiiType::CreditCard,
        "iban" => PiiType::Iban,
        "ip" => PiiType::IpAddress,
        "user" => PiiType::Username,
        _ => return None,
    })
}

/// A parsed piece of a template.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Piece<'a> {
    Lit(&'a str),
    Slot(&'a str),
    /// `[female|male]`.
    Gender(&'a str, &'a str),
}

/// Splits a template into literal text, `{slot}`s and `[female|male]` choices.
fn parse(t: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(i) = rest.find(['{', '[']) {
        if i > 0 {
            out.push(Piece::Lit(&rest[..i]));
        }
        let close = if rest[i..].starts_with('{') { '}' } else { ']' };
        let Some(j) = rest[i..].find(close).map(|j| i + j) else {
            out.push(Piece::Lit(&rest[i..]));
            return out;
        };
        let inner = &rest[i + 1..j];
        if close == '}' {
            out.push(Piece::Slot(inner));
        } else {
            let (f, m) = inner.split_once('|').unwrap_or((inner, inner));
            out.push(Piece::Gender(f, m));
        }
        rest = &rest[j + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Lit(rest));
    }
    out
}

/// The distinct labelled types of a template, in [`PiiType::ALL`] order.
fn types_of(t: &str) -> Vec<PiiType> {
    let mut v: Vec<PiiType> =
        parse(t).into_iter().filter_map(|p| if let Piece::Slot(s) = p { slot_type(s) } else { None }).collect();
    v.sort();
    v.dedup();
    v
}

/// Whether every person slot of a template is a first name (the "first name only" group).
fn first_only(t: &str) -> bool {
    parse(t).into_iter().all(|p| match p {
        Piece::Slot(s) if slot_type(s) == Some(PiiType::Person) => s.starts_with("first"),
        _ => true,
    })
}

/// Per-frame facts, computed once.
struct FrameInfo {
    types: Vec<PiiType>,
    first_only: bool,
}

fn frame_info() -> &'static [FrameInfo] {
    static INFO: OnceLock<Vec<FrameInfo>> = OnceLock::new();
    INFO.get_or_init(|| {
        FRAMES.iter().map(|f| FrameInfo { types: types_of(f.text), first_only: first_only(f.text) }).collect()
    })
}

/// Fills slots; values are fixed per carrier, so a slot used twice gets the same value.
trait Fill {
    fn value<R: Rng + ?Sized>(&mut self, slot: &str, rng: &mut R) -> Option<String>;
    fn female(&self) -> bool;
}

/// Renders a template, returning its text and the spans of its labelled slots.
fn render<F: Fill, R: Rng + ?Sized>(t: &str, fill: &mut F, rng: &mut R) -> (String, Vec<Span>) {
    let mut text = String::new();
    let mut chars = 0usize;
    let mut spans = Vec::new();
    for piece in parse(t) {
        let (s, ty) = match piece {
            Piece::Lit(l) => (l.to_string(), None),
            Piece::Gender(f, m) => ((if fill.female() { f } else { m }).to_string(), None),
            Piece::Slot(name) => (fill.value(name, rng).unwrap_or_default(), slot_type(name)),
        };
        let n = s.chars().count();
        if let Some(ty) = ty.filter(|_| n > 0) {
            spans.push(Span { start: chars, end: chars + n, ty, value: s.clone() });
        }
        chars += n;
        text.push_str(&s);
    }
    (text, spans)
}

/// The name of an ID scheme as written after "my" ("passport number", "National Insurance number", "BSN"),
/// from the value's description.
fn id_name<R: Rng + ?Sized>(description: &str, rng: &mut R) -> &'static str {
    const NAMES: &[(&str, &str, &str)] = &[
        ("Social Security", "Social Security number", "SSN"),
        ("National Insurance", "National Insurance number", "NI number"),
        ("passport", "passport number", "passport number"),
        ("BSN", "BSN", "citizen service number"),
        ("codice fiscale", "codice fiscale", "codice fiscale"),
        ("PESEL", "PESEL number", "PESEL"),
        ("personnummer", "personnummer", "personal identity number"),
        ("Aadhaar", "Aadhaar number", "Aadhaar"),
        ("Social Insurance", "Social Insurance Number", "SIN"),
        ("DNI", "DNI number", "DNI"),
        ("NIE", "NIE number", "NIE"),
        ("CPF", "CPF number", "CPF"),
        ("sécurité sociale", "numéro de sécurité sociale", "French social security number"),
        ("henkilötunnus", "henkilötunnus", "Finnish personal identity code"),
        ("fødselsnummer", "fødselsnummer", "Norwegian ID number"),
    ];
    match NAMES.iter().find(|(k, _, _)| description.contains(k)) {
        Some(&(_, long, short)) => {
            if rng.random_bool(0.6) {
                long
            } else {
                short
            }
        }
        None => "ID number",
    }
}

/// The card brand of a card value's description ("a Visa card number" -> "Visa").
fn card_brand<R: Rng + ?Sized>(description: &str, rng: &mut R) -> &'static str {
    if description.contains("American Express") {
        if rng.random_bool(0.5) {
            "Amex"
        } else {
            "American Express"
        }
    } else if description.contains("Mastercard") {
        "Mastercard"
    } else if description.contains("Discover") {
        "Discover"
    } else if description.contains("Visa") {
        "Visa"
    } else {
        "bank"
    }
}

/// The platform a profile URL's description names ("an Instagram profile URL" -> "Instagram").
fn platform(description: &str) -> Option<&'static str> {
    if description.contains("X (Twitter)") {
        return Some("X");
    }
    PLATFORMS.iter().copied().find(|p| description.contains(p))
}

/// Capitalises the first letter ("passport number" -> "Passport number").
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A full name as it appears in prose: usually [`Name::full`], sometimes the native script, an initial and
/// surname, or a middle initial.
fn full_form<R: Rng + ?Sized>(n: &Name, rng: &mut R) -> String {
    let roll = rng.random_range(0..100);
    match (&n.native, &n.middle) {
        (Some(native), _) if roll < 12 => native.clone(),
        (_, Some(m)) if roll >= 90 && !n.family_first => {
            let i = m.chars().next().unwrap_or('A');
            format!("{} {i}. {}", n.first(), n.family)
        }
        _ if (84..90).contains(&roll) && !n.family_first => {
            let i = n.given.chars().next().unwrap_or('J');
            format!("{i}. {}", n.family_alone())
        }
        _ => n.full(),
    }
}

/// Slot values for a positive carrier: person A is a whole persona (every type), B and C are names.
struct PosCtx {
    a: Persona,
    others: Vec<Name>,
    cache: HashMap<String, String>,
}

impl PosCtx {
    fn new(a: Persona) -> Self {
        PosCtx { a, others: Vec::new(), cache: HashMap::new() }
    }

    /// Person number `i` (0 = A); others are drawn on first use with given names unlike the earlier ones.
    fn person<R: Rng + ?Sized>(&mut self, i: usize, rng: &mut R) -> Name {
        if i == 0 {
            return self.a.name.clone();
        }
        while self.others.len() < i {
            let mut n = pii::names::sample_name(rng);
            for _ in 0..20 {
                let clash = n.given == self.a.name.given || self.others.iter().any(|o| o.given == n.given);
                if !clash {
                    break;
                }
                n = pii::names::sample_name(rng);
            }
            self.others.push(n);
        }
        self.others[i - 1].clone()
    }
}

impl Fill for PosCtx {
    fn value<R: Rng + ?Sized>(&mut self, slot: &str, rng: &mut R) -> Option<String> {
        if let Some(v) = self.cache.get(slot) {
            return Some(v.clone());
        }
        let v = match slot {
            "first" | "full" | "title" | "first2" | "full2" | "title2" | "first3" | "full3" | "title3" => {
                let i = match slot.chars().last() {
                    Some('2') => 1,
                    Some('3') => 2,
                    _ => 0,
                };
                let n = self.person(i, rng);
                match slot.trim_end_matches(['2', '3']) {
                    "first" => n.first(),
                    "full" => full_form(&n, rng),
                    _ => n.titled(rng),
                }
            }
            "idname" | "Idname" => {
                let name = match self.cache.get("idname") {
                    Some(v) => v.clone(),
                    None => id_name(&self.a.value(PiiType::IdNumber).description, rng).to_string(),
                };
                self.cache.insert("idname".into(), name.clone());
                if slot == "Idname" {
                    capitalised(&name)
                } else {
                    name
                }
            }
            "cardbrand" => card_brand(&self.a.value(PiiType::CreditCard).description, rng).to_string(),
            "platform" => platform(&self.a.value(PiiType::Url).description).unwrap_or("my site").to_string(),
            "social" => SOCIALS.choose(rng).copied().unwrap_or("Instagram").to_string(),
            other => self.a.value(slot_type(other)?).value,
        };
        self.cache.insert(slot.to_string(), v.clone());
        Some(v)
    }

    fn female(&self) -> bool {
        self.a.name.gender == Gender::Female
    }
}

/// Slot values for a hard negative.
struct NegCtx {
    cache: HashMap<String, String>,
}

/// "1861" -> "1,861".
fn thousands(n: u32) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Fill for NegCtx {
    fn value<R: Rng + ?Sized>(&mut self, slot: &str, rng: &mut R) -> Option<String> {
        if let Some(v) = self.cache.get(slot) {
            return Some(v.clone());
        }
        let from = |cat: &str, list: &[(&'static str, &'static str)], rng: &mut R| -> Option<String> {
            let items: Vec<&str> = list.iter().filter(|(c, _)| *c == cat).map(|(_, n)| *n).collect();
            items.choose(rng).map(|s| s.to_string())
        };
        let v = match slot {
            "author" | "chef" | "athlete" | "musician" | "historic" | "presenter" => from(slot, PUBLIC, rng)?,
            "figure" => PUBLIC.choose(rng)?.1.to_string(),
            "tool" | "kitchen" | "gadget" | "camera" | "car" | "shop" => from(slot, BRANDS, rng)?,
            "place" | "place2" | "place3" => {
                let used: Vec<String> =
                    ["place", "place2", "place3"].iter().filter_map(|k| self.cache.get(*k).cloned()).collect();
                let free: Vec<&str> = PLACES.iter().copied().filter(|p| !used.iter().any(|u| u == p)).collect();
                free.choose(rng)?.to_string()
            }
            "fict" => FICTIONAL.choose(rng)?.to_string(),
            "month" => MONTHS.choose(rng)?.to_string(),
            "weekday" => WEEKDAYS.choose(rng)?.to_string(),
            "n" => rng.random_range(2..10).to_string(),
            "order" => format!("{}-{}", rng.random_range(10000..99999), rng.random_range(10..99)),
            "postno" => thousands(rng.random_range(40..3000)),
            "mm" => [3, 4, 5, 6, 8, 10, 12].choose(rng)?.to_string(),
            "shoe" => {
                let n = rng.random_range(3..13);
                if rng.random_bool(0.3) {
                    format!("{n}.5")
                } else {
                    n.to_string()
                }
            }
            "model" => format!(
                "{}{}-{}",
                ["XT", "RX", "KB", "M", "QZ", "A"].choose(rng)?,
                rng.random_range(1..9),
                rng.random_range(100..9999)
            ),
            "version" => format!("{}.{}.{}", rng.random_range(0..12), rng.random_range(0..30), rng.random_range(0..20)),
            "price" => {
                let cur = ["£", "$", "€"].choose(rng)?;
                format!("{cur}{}.{:02}", rng.random_range(2..400), rng.random_range(0..100))
            }
            "time" => format!("{:02}:{:02}", rng.random_range(5..23), [0, 15, 30, 45, 10, 50].choose(rng)?),
            "km" => format!("{}.{} km", rng.random_range(2..40), rng.random_range(0..10)),
            "tracking" => format!(
                "{}{}{}",
                ["JD", "RB", "LX", "CP"].choose(rng)?,
                rng.random_range(1000..9999),
                ["GB", "DE", "NL"].choose(rng)?
            ),
            "isbn" => format!(
                "978-{}-{}-{}-{}",
                rng.random_range(0..2),
                rng.random_range(10..999),
                rng.random_range(10000..99999),
                rng.random_range(0..10)
            ),
            "temp" => [160, 170, 180, 190, 200, 220].choose(rng)?.to_string(),
            "grams" | "grams2" => (rng.random_range(1..20) * 25).to_string(),
            "ml" => (rng.random_range(1..12) * 50).to_string(),
            "eggs" => rng.random_range(2..5).to_string(),
            "mp" => [12, 16, 20, 24, 26, 45].choose(rng)?.to_string(),
            "score" => format!("{}-{}", rng.random_range(1..6), rng.random_range(0..4)),
            "year" => rng.random_range(1850..2020).to_string(),
            "steps" => thousands(rng.random_range(4000..30000)),
            "pages" => rng.random_range(180..900).to_string(),
            "room" => rng.random_range(101..450).to_string(),
            "flight" => format!("{} {}", ["BA", "KL", "LH", "IB", "AF"].choose(rng)?, rng.random_range(100..2999)),
            "bus" => rng.random_range(2..300).to_string(),
            "pct" => rng.random_range(3..40).to_string(),
            "height" => thousands(rng.random_range(300..4800)),
            "ep" => rng.random_range(1..13).to_string(),
            "chapter" => rng.random_range(2..30).to_string(),
            "rows" => rng.random_range(4..60).to_string(),
            "miles" => format!("{},000", rng.random_range(20..200)),
            _ => return None,
        };
        self.cache.insert(slot.to_string(), v.clone());
        Some(v)
    }

    fn female(&self) -> bool {
        false
    }
}

fn carrier_from<F: Fill, R: Rng + ?Sized>(f: &Frame, fill: &mut F, rng: &mut R) -> Carrier {
    let (text, spans) = render(f.text, fill, rng);
    Carrier { text, spans, frame: f.id, kind: f.kind }
}

/// A carrier holding values of each of `types` (1-3 types; one coherent person from [`pii::sample_persona`]
/// where several types belong together). Duplicate types count once; an empty list means PERSON. PERSON
/// carriers hold 1-3 PERSON spans (two or three people, or one person mentioned twice); other types one span.
///
/// One type: a frame for it (for PERSON, first-name-only frames half the time). Several: a frame made for
/// that combination when there is one, else a block (contact block, list, table, sign-off) of one persona's
/// values, else one sentence per type (the person's sentence, then the other values in sentences that do not
/// name anyone, from a second persona so that "email me at" never carries the named person's address).
pub fn positive<R: Rng + ?Sized>(types: &[PiiType], rng: &mut R) -> Carrier {
    let mut set: Vec<PiiType> = types.to_vec();
    set.sort();
    set.dedup();
    if set.is_empty() {
        set.push(PiiType::Person);
    }
    let a = pii::sample_persona(rng);
    let info = frame_info();
    let exact: Vec<usize> = (0..FRAMES.len()).filter(|&i| info[i].types == set && FRAMES[i].when.holds(&a)).collect();

    if set.len() == 1 {
        let pool: Vec<usize> = if set[0] == PiiType::Person {
            let want_first = rng.random_bool(0.5);
            let group: Vec<usize> = exact.iter().copied().filter(|&i| info[i].first_only == want_first).collect();
            if group.is_empty() {
                exact
            } else {
                group
            }
        } else {
            exact
        };
        if let Some(&i) = pool.choose(rng) {
            return carrier_from(&FRAMES[i], &mut PosCtx::new(a), rng);
        }
        return block(&set, a, rng);
    }
    let roll = rng.random_range(0..100);
    if !exact.is_empty() && roll < 45 {
        let i = *exact.choose(rng).unwrap_or(&exact[0]);
        return carrier_from(&FRAMES[i], &mut PosCtx::new(a), rng);
    }
    if roll < 75 {
        return block(&set, a, rng);
    }
    sentences(&set, a, rng)
}

/// One sentence per type, joined. The PERSON sentence (if any) comes first and uses `a`; the rest use a
/// second persona when a person is named, else `a`.
fn sentences<R: Rng + ?Sized>(set: &[PiiType], a: Persona, rng: &mut R) -> Carrier {
    let info = frame_info();
    let named = set.contains(&PiiType::Person);
    let mut order: Vec<PiiType> = set.iter().copied().filter(|t| *t != PiiType::Person).collect();
    order.shuffle(rng);
    let mut person_ctx = PosCtx::new(a.clone());
    let mut other_ctx = PosCtx::new(if named { pii::sample_persona(rng) } else { a });
    let mut text = String::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut frame = "";
    let parts = named.then_some(PiiType::Person).into_iter().chain(order);
    for ty in parts {
        let ctx = if ty == PiiType::Person { &mut person_ctx } else { &mut other_ctx };
        let pool: Vec<usize> = (0..FRAMES.len())
            .filter(|&i| {
                FRAMES[i].kind == CarrierKind::Sentence && info[i].types == [ty] && FRAMES[i].when.holds(&ctx.a)
            })
            .collect();
        let Some(&i) = pool.choose(rng) else { continue };
        let (t, sp) = render(FRAMES[i].text, ctx, rng);
        if frame.is_empty() {
            frame = FRAMES[i].id;
        }
        if !text.is_empty() {
            text.push(' ');
        }
        let base = text.chars().count();
        spans.extend(sp.into_iter().map(|s| Span { start: s.start + base, end: s.end + base, ..s }));
        text.push_str(&t);
    }
    Carrier { text, spans, frame, kind: CarrierKind::Sentence }
}

/// Field labels for a block line of `ty` (helper slots allowed).
fn labels(ty: PiiType, a: &Persona) -> Vec<&'static str> {
    match ty {
        PiiType::Person => vec!["Name", "Full name", "Contact"],
        PiiType::Email => vec!["Email", "E-mail", "Mail"],
        PiiType::Phone => {
            let mut v = vec!["Phone", "Tel", "Telephone"];
            if MOBILE.holds(a) {
                v.extend(["Mobile", "Mob"]);
            } else {
                v.push("Landline");
            }
            v
        }
        PiiType::Address => vec!["Address", "Postal address", "Post to"],
        PiiType::Url => {
            if SITE.holds(a) {
                vec!["Web", "Website", "Site"]
            } else {
                vec!["{platform}", "Profile", "Link"]
            }
        }
        PiiType::DateOfBirth => vec!["DOB", "Date of birth", "Born", "D.O.B."],
        PiiType::IdNumber => vec!["{Idname}", "ID number", "ID"],
        PiiType::CreditCard => vec!["Card", "Card number", "{cardbrand}"],
        PiiType::Iban => vec!["IBAN", "Bank account (IBAN)", "Account"],
        PiiType::IpAddress => vec!["IP", "IP address", "Server", "Host"],
        PiiType::Username => vec!["Username", "Handle", "{social}"],
    }
}

/// The value slot of a block line of `ty`.
fn value_slot<R: Rng + ?Sized>(ty: PiiType, rng: &mut R) -> &'static str {
    match ty {
        PiiType::Person => {
            if rng.random_bool(0.15) {
                "{title}"
            } else {
                "{full}"
            }
        }
        PiiType::Email => "{email}",
        PiiType::Phone => "{phone}",
        PiiType::Address => "{address}",
        PiiType::Url => "{url}",
        PiiType::DateOfBirth => "{dob}",
        PiiType::IdNumber => "{id}",
        PiiType::CreditCard => "{card}",
        PiiType::Iban => "{iban}",
        PiiType::IpAddress => "{ip}",
        PiiType::Username => "{user}",
    }
}

/// Types that stand on their own line without a label (a letterhead, a sign-off).
fn contact_type(t: PiiType) -> bool {
    matches!(t, PiiType::Person | PiiType::Email | PiiType::Phone | PiiType::Address | PiiType::Url | PiiType::Username)
}

/// A paragraph of `a`'s values in one of the block styles ([`BLOCKS`]).
fn block<R: Rng + ?Sized>(set: &[PiiType], a: Persona, rng: &mut R) -> Carrier {
    let mut order: Vec<PiiType> = set.iter().copied().filter(|t| *t != PiiType::Person).collect();
    order.shuffle(rng);
    if set.contains(&PiiType::Person) {
        order.insert(0, PiiType::Person);
    }
    let contact = order.iter().all(|t| contact_type(*t));
    let mut styles = vec!["block.header", "block.dash", "block.bullet", "block.pipe", "block.table", "block.bold"];
    if contact && order.len() > 1 && order[0] == PiiType::Person {
        styles.extend(["block.bare", "sig.block"]);
    }
    let style = styles.choose(rng).copied().unwrap_or("block.dash");
    let fields: Vec<(String, &str)> = order
        .iter()
        .map(|&t| (labels(t, &a).choose(rng).copied().unwrap_or("Details").to_string(), value_slot(t, rng)))
        .collect();
    let line = |(l, v): &(String, &str)| format!("{l}: {v}");
    let headers: &[&str] = if contact {
        &["Get in touch:", "Contact details", "Where to find me:", "My details:", "For the organisers:"]
    } else {
        &["My details:", "For reference:", "Details for the form:", "As requested:"]
    };
    let header = headers.choose(rng).copied().unwrap_or("Details:");
    let t = match style {
        "block.header" => format!("{header}\n{}", fields.iter().map(line).collect::<Vec<_>>().join("\n")),
        "block.dash" | "block.bullet" => {
            let mark = if style == "block.dash" { "- " } else { "• " };
            let body = fields.iter().map(|f| format!("{mark}{}", line(f))).collect::<Vec<_>>().join("\n");
            if rng.random_bool(0.5) {
                format!("{header}\n{body}")
            } else {
                body
            }
        }
        "block.pipe" => fields.iter().map(line).collect::<Vec<_>>().join(" | "),
        "block.table" => {
            let heads: Vec<&str> = fields.iter().map(|(l, _)| l.as_str()).collect();
            let vals: Vec<&str> = fields.iter().map(|(_, v)| *v).collect();
            let rule = vec!["---"; fields.len()].join(" | ");
            format!("| {} |\n| {rule} |\n| {} |", heads.join(" | "), vals.join(" | "))
        }
        "block.bold" => fields.iter().map(|(l, v)| format!("**{l}:** {v}")).collect::<Vec<_>>().join("\n"),
        "block.bare" => fields.iter().map(|(_, v)| *v).collect::<Vec<_>>().join("\n"),
        _ => {
            // sig.block: a sign-off, the name, then the contact values one per line.
            let signoff =
                ["Cheers,", "Best,", "Love,", "Thanks,", "Warm wishes,"].choose(rng).copied().unwrap_or("Best,");
            let name = if rng.random_bool(0.5) { "{first}" } else { "{full}" };
            let rest: Vec<&str> = fields.iter().skip(1).map(|(_, v)| *v).collect();
            format!("{signoff}\n{name}\n{}", rest.join("\n"))
        }
    };
    let (text, spans) = render(&t, &mut PosCtx::new(a), rng);
    let frame = BLOCKS.iter().copied().find(|b| *b == style).unwrap_or("block.dash");
    Carrier { text, spans, frame, kind: CarrierKind::Paragraph }
}

/// A carrier that looks like personal data and is not (spans empty): public figures, places, brands,
/// fictional characters, headings, months and weekdays, order and post numbers, sizes, model numbers,
/// versions, prices, times, distances, tracking numbers, ISBNs, and sentences about personal data.
pub fn hard_negative<R: Rng + ?Sized>(rng: &mut R) -> Carrier {
    let f = NEGATIVES.choose(rng).copied().unwrap_or(NEGATIVES[0]);
    negative_from(&f, rng)
}

fn negative_from<R: Rng + ?Sized>(f: &Frame, rng: &mut R) -> Carrier {
    let (text, _) = render(f.text, &mut NegCtx { cache: HashMap::new() }, rng);
    Carrier { text, spans: Vec::new(), frame: f.id, kind: f.kind }
}

/// Where a carrier goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Anchor {
    Start,
    Any,
    End,
}

fn anchor(frame: &str) -> Anchor {
    if frame.starts_with("sig.") || frame.starts_with("comment.") {
        Anchor::End
    } else if frame.starts_with("intro.") {
        Anchor::Start
    } else {
        Anchor::Any
    }
}

/// Whether `s` (trimmed) ends a sentence: `.`, `!`, `?` or `…`, possibly followed by closing quotes or brackets.
fn ends_sentence(s: &str) -> bool {
    let t = s.trim_end().trim_end_matches(['"', '\'', ')', '”', '’', '»', ']']);
    t.ends_with(['.', '!', '?', '…'])
}

/// Byte offsets (in `body`) where a paragraph break starts: the end of a paragraph's text, before a run of
/// whitespace holding two or more line breaks.
fn paragraph_breaks(body: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut run_start: Option<usize> = None;
    let mut newlines = 0;
    for (i, c) in body.char_indices() {
        if c.is_whitespace() {
            if run_start.is_none() {
                run_start = Some(i);
                newlines = 0;
            }
            if c == '\n' {
                newlines += 1;
            }
        } else {
            if let Some(st) = run_start.take() {
                if newlines >= 2 && st > 0 {
                    out.push(st);
                }
            }
            newlines = 0;
        }
    }
    out
}

/// Puts carriers into `post`: each at a random place (the start, a sentence boundary in the middle, or the
/// end; Paragraph kinds only at paragraph breaks, the start or the end; `sig.`/`comment.` frames at the end,
/// `intro.` frames at the start). Returns the new text (the post's outer whitespace trimmed) and all spans
/// shifted to their place, in code points, sorted and validated.
pub fn place<R: Rng + ?Sized>(
    post: &str,
    carriers: &[Carrier],
    rng: &mut R,
) -> Result<(String, Vec<Span>), GeneratorError> {
    let body = post.trim();
    if body.is_empty() {
        return Err(GeneratorError::InvalidInput("the post is empty".into()));
    }
    let sentence_mid: Vec<usize> =
        crate::corpus::sentence_boundaries(body).into_iter().filter(|&b| b > 0 && b < body.len()).collect();
    let para_mid = paragraph_breaks(body);

    // (byte offset, order within the offset, carrier index)
    let mut slots: Vec<(usize, u8, usize)> = Vec::with_capacity(carriers.len());
    for (i, c) in carriers.iter().enumerate() {
        let mids = if c.kind == CarrierKind::Sentence { &sentence_mid } else { &para_mid };
        let at = match anchor(c.frame) {
            Anchor::Start => 0,
            Anchor::End => body.len(),
            Anchor::Any => {
                let w_mid = if mids.is_empty() { 0 } else { 5 };
                let roll = rng.random_range(0..(5 + w_mid));
                if roll < 2 {
                    0
                } else if roll < 5 {
                    body.len()
                } else {
                    *mids.choose(rng).unwrap_or(&body.len())
                }
            }
        };
        let para = c.kind == CarrierKind::Paragraph;
        let rank = match (at == 0, anchor(c.frame), para) {
            // At the start: intros, then paragraphs, then sentences (so a sentence runs into the post).
            (true, Anchor::Start, _) => 0,
            (true, _, true) => 1,
            (true, _, false) => 2,
            // Elsewhere: sentences (they continue the text before), paragraphs, sign-offs, then comments.
            (false, _, false) => 0,
            (false, Anchor::Any, true) => 1,
            (false, _, true) if c.frame.starts_with("sig.") => 2,
            (false, _, true) => 3,
        };
        slots.push((at, rank, i));
    }
    slots.sort();

    let mut out = String::with_capacity(post.len() + carriers.iter().map(|c| c.text.len() + 2).sum::<usize>());
    let mut spans: Vec<Span> = Vec::new();
    let mut push = |out: &mut String, c: &Carrier| {
        let base = out.chars().count();
        spans.extend(c.spans.iter().map(|s| Span { start: s.start + base, end: s.end + base, ..s.clone() }));
        out.push_str(&c.text);
    };

    let first_line = body.lines().next().unwrap_or("");
    let starts: Vec<&Carrier> = slots.iter().filter(|s| s.0 == 0).map(|s| &carriers[s.2]).collect();
    for (k, c) in starts.iter().enumerate() {
        push(&mut out, c);
        let next_is_sentence = match starts.get(k + 1) {
            Some(n) => n.kind == CarrierKind::Sentence,
            None => ends_sentence(first_line),
        };
        let sep = if c.kind == CarrierKind::Sentence && next_is_sentence { " " } else { "\n\n" };
        out.push_str(sep);
    }

    let mut cursor = 0;
    let mut prev_sentence_end = true;
    for &(at, _, i) in slots.iter().filter(|s| s.0 > 0) {
        let c = &carriers[i];
        if at > cursor {
            out.push_str(&body[cursor..at]);
            cursor = at;
            prev_sentence_end = at < body.len() || ends_sentence(body);
        }
        let sep = if c.kind == CarrierKind::Sentence && prev_sentence_end { " " } else { "\n\n" };
        out.push_str(sep);
        push(&mut out, c);
        prev_sentence_end = c.kind == CarrierKind::Sentence;
    }
    out.push_str(&body[cursor..]);

    blogbot_common::record::validate_spans(&out, &spans)?;
    Ok((out, spans))
}

#[cfg(test)]
mod tests {
    use super::*;
    use blogbot_common::rules::RuleDetector;
    use blogbot_common::text::slice_chars;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use std::collections::HashSet;

    fn check_positive(c: &Carrier, asked: &[PiiType]) {
        blogbot_common::record::validate_spans(&c.text, &c.spans).unwrap_or_else(|e| panic!("{e}: {c:?}"));
        for s in &c.spans {
            assert_eq!(slice_chars(&c.text, s.start, s.end), Some(s.value.as_str()), "{c:?}");
            assert!(asked.contains(&s.ty), "unasked type {:?} in {c:?} (asked {asked:?})", s.ty);
        }
        for t in asked {
            let n = c.spans.iter().filter(|s| s.ty == *t).count();
            if *t == PiiType::Person {
                assert!((1..=3).contains(&n), "{n} PERSON spans in {c:?}");
            } else {
                assert_eq!(n, 1, "{t:?} spans in {c:?}");
            }
        }
        assert!(!c.frame.is_empty());
        assert!(!c.text.contains('{') && !c.text.contains('['), "unfilled slot in {:?}", c.text);
        if c.kind == CarrierKind::Sentence {
            assert!(ends_sentence(&c.text), "sentence carrier does not end a sentence: {:?}", c.text);
            assert!(!c.text.contains('\n'), "{:?}", c.text);
        }
    }

    #[test]
    fn positive_spans_slice_to_values_for_every_type_combination() {
        let all = PiiType::ALL;
        let mut combos: Vec<Vec<PiiType>> = Vec::new();
        for (i, &a) in all.iter().enumerate() {
            combos.push(vec![a]);
            for (j, &b) in all.iter().enumerate().skip(i + 1) {
                combos.push(vec![a, b]);
                for &c in &all[j + 1..] {
                    combos.push(vec![a, b, c]);
                }
            }
        }
        assert_eq!(combos.len(), 11 + 55 + 165);
        let mut rng = StdRng::seed_from_u64(7);
        let mut frames = HashSet::new();
        for combo in &combos {
            let seeds = if combo.len() == 1 { 300 } else { 12 };
            for _ in 0..seeds {
                let c = positive(combo, &mut rng);
                check_positive(&c, combo);
                frames.insert(c.frame);
            }
        }
        // Duplicates count once; nothing means PERSON.
        check_positive(&positive(&[PiiType::Email, PiiType::Email], &mut rng), &[PiiType::Email]);
        check_positive(&positive(&[], &mut rng), &[PiiType::Person]);
        assert!(frames.len() >= 200, "only {} distinct frames used", frames.len());
        for b in BLOCKS {
            assert!(frames.contains(b), "block style {b} never used");
        }
    }

    #[test]
    fn every_positive_frame_renders_its_types() {
        let mut rng = StdRng::seed_from_u64(21);
        for (f, info) in FRAMES.iter().zip(frame_info()) {
            assert!(!info.types.is_empty() && info.types.len() <= 3, "{}", f.id);
            let mut rendered = 0;
            for _ in 0..400 {
                let a = pii::sample_persona(&mut rng);
                if !f.when.holds(&a) {
                    continue;
                }
                let c = carrier_from(f, &mut PosCtx::new(a), &mut rng);
                check_positive(&c, &info.types);
                rendered += 1;
                if rendered == 30 {
                    break;
                }
            }
            assert!(rendered >= 5, "frame {} rarely satisfiable", f.id);
        }
    }

    #[test]
    fn frame_slots_are_known_and_literal_words_hold_no_personal_data() {
        let rules = RuleDetector::new();
        for f in FRAMES {
            let mut literal = String::new();
            for piece in parse(f.text) {
                match piece {
                    Piece::Slot(s) => {
                        assert!(slot_type(s).is_some() || HELPER_SLOTS.contains(&s), "{}: unknown slot {s}", f.id);
                        literal.push_str(" x ");
                    }
                    Piece::Gender(a, b) => {
                        assert!(!a.is_empty() && !b.is_empty() && a != b, "{}", f.id);
                        literal.push_str(a);
                    }
                    Piece::Lit(l) => literal.push_str(l),
                }
            }
            // Protocol names aside, no digits: nothing that could pass for a number of someone's.
            let no_names = literal.replace("IPv6", "");
            assert!(!no_names.chars().any(|c| c.is_ascii_digit()), "{}: digits in {literal:?}", f.id);
            assert!(rules.detect(&literal).is_empty(), "{}: rules flag {literal:?}", f.id);
            if f.kind == CarrierKind::Sentence {
                assert!(ends_sentence(f.text) && !f.text.contains('\n'), "{}", f.id);
            }
        }
        for f in NEGATIVES {
            for piece in parse(f.text) {
                if let Piece::Slot(s) = piece {
                    assert!(slot_type(s).is_none() && !HELPER_SLOTS.contains(&s), "{}: positive slot {s}", f.id);
                }
                assert!(!matches!(piece, Piece::Gender(..)), "{}", f.id);
            }
        }
    }

    #[test]
    fn frame_ids_are_unique_and_plentiful() {
        let ids: Vec<&str> = frame_ids().collect();
        let unique: HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "duplicate frame ids");
        assert_eq!(ids.len(), FRAME_COUNT);
        assert!(FRAMES.len() >= 150, "{} positive frames", FRAMES.len());
        assert!(NEGATIVES.len() >= 60, "{} negative frames", NEGATIVES.len());
        for id in &ids {
            assert!(
                id.len() <= 32 && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.".contains(c)),
                "{id}"
            );
        }
        // Every type has frames of its own, and PERSON has every name form.
        let info = frame_info();
        for t in PiiType::ALL {
            assert!(info.iter().filter(|i| i.types == [t]).count() >= 6, "{t:?}");
        }
        let person: Vec<usize> = (0..FRAMES.len()).filter(|&i| info[i].types == [PiiType::Person]).collect();
        let first = person.iter().filter(|&&i| info[i].first_only).count();
        assert!(first * 10 >= person.len() * 4 && first * 10 <= person.len() * 7, "{first} of {}", person.len());
        for form in ["{title}", "{full}", "'s", "{first2}", "{first3}", "\"", "sig.", "comment.", "credit.", "intro."] {
            assert!(person.iter().any(|&i| FRAMES[i].text.contains(form) || FRAMES[i].id.starts_with(form)), "{form}");
        }
    }

    #[test]
    fn person_carriers_vary_name_forms_and_agree_with_gender() {
        let mut rng = StdRng::seed_from_u64(5);
        let (mut first_only_n, mut titled, mut twice, mut n) = (0, 0, 0, 0);
        for _ in 0..2000 {
            let c = positive(&[PiiType::Person], &mut rng);
            n += 1;
            let vals: Vec<&str> = c.spans.iter().map(|s| s.value.as_str()).collect();
            if vals.iter().all(|v| !v.contains(' ')) {
                first_only_n += 1;
            }
            if vals.iter().any(|v| ["Mr", "Mrs", "Ms", "Miss", "Dr", "Prof"].iter().any(|t| v.starts_with(t))) {
                titled += 1;
            }
            if vals.len() > 1 && vals.iter().collect::<HashSet<_>>().len() < vals.len() {
                twice += 1;
            }
        }
        assert!(first_only_n * 100 >= n * 40, "{first_only_n} of {n} single-word names");
        assert!(titled >= 40 && twice >= 10, "titled {titled}, twice {twice}");
        for _ in 0..500 {
            let name = pii::names::sample_name(&mut rng);
            let t = name.titled(&mut rng);
            let title = t.split(' ').next().unwrap_or("").trim_end_matches('.');
            match name.gender {
                Gender::Female => assert!(["Mrs", "Ms", "Miss", "Dr", "Prof", "Professor"].contains(&title), "{t}"),
                Gender::Male => assert!(["Mr", "Dr", "Prof", "Professor"].contains(&title), "{t}"),
            }
        }
        // Gendered words follow person A.
        let f = FRAMES.iter().find(|f| f.id == "p.sibling-staying").copied().unwrap();
        for _ in 0..50 {
            let a = pii::sample_persona(&mut rng);
            let female = a.name.gender == Gender::Female;
            let c = carrier_from(&f, &mut PosCtx::new(a), &mut rng);
            assert_eq!(c.text.contains("sister"), female, "{}", c.text);
        }
    }

    #[test]
    fn hard_negatives_have_no_spans_and_no_rule_hits() {
        let rules = RuleDetector::new();
        let mut rng = StdRng::seed_from_u64(9);
        for f in NEGATIVES {
            for _ in 0..60 {
                let c = negative_from(f, &mut rng);
                assert!(c.spans.is_empty());
                assert!(!c.text.contains('{'), "unfilled slot in {:?}", c.text);
                let hits = rules.detect(&c.text);
                assert!(hits.is_empty(), "{}: rules flag {:?} in {:?}", f.id, hits, c.text);
            }
        }
        let mut seen = HashSet::new();
        for _ in 0..3000 {
            let c = hard_negative(&mut rng);
            assert!(c.spans.is_empty() && rules.detect(&c.text).is_empty(), "{:?}", c.text);
            seen.insert(c.frame);
        }
        assert_eq!(seen.len(), NEGATIVES.len());
    }

    const POSTS: &[&str] = &[
        "We finally finished the kitchen. It took three months!\n\nThe tiles came from a reclaim yard. I love them.\n\nNext up: the garden.",
        "Crème brûlée 🍮 is hard. We tried in 東京 twice!\n\nThe second time worked. Really. 😀 Naïve me.\n\n抹茶 is next… maybe.",
        "One paragraph only, with two sentences. Here is the second one",
        "# A heading\n\nShort para.\n\n- a list item\n- another item",
    ];

    /// Where a carrier's text sits in `out`.
    fn position(out: &str, text: &str) -> &'static str {
        if out.starts_with(text) {
            "start"
        } else if out.ends_with(text) {
            "end"
        } else {
            "middle"
        }
    }

    #[test]
    fn place_keeps_the_post_and_puts_paragraphs_at_breaks() {
        let mut rng = StdRng::seed_from_u64(3);
        for seed in 0..400u64 {
            let post = POSTS[seed as usize % POSTS.len()];
            let n = rng.random_range(1..4);
            let carriers: Vec<Carrier> = (0..n)
                .map(|_| {
                    if rng.random_bool(0.3) {
                        hard_negative(&mut rng)
                    } else {
                        let k = rng.random_range(1..4);
                        let types: Vec<PiiType> = PiiType::ALL.choose_multiple(&mut rng, k).copied().collect();
                        positive(&types, &mut rng)
                    }
                })
                .collect();
            let (out, spans) = place(post, &carriers, &mut rng).unwrap();
            blogbot_common::record::validate_spans(&out, &spans).unwrap();
            let want: usize = carriers.iter().map(|c| c.spans.len()).sum();
            assert_eq!(spans.len(), want);
            for s in &spans {
                assert_eq!(slice_chars(&out, s.start, s.end), Some(s.value.as_str()));
            }
            let mut rest = out.clone();
            for c in &carriers {
                assert!(rest.contains(&c.text), "carrier {:?} missing from {out:?}", c.text);
                if c.kind == CarrierKind::Paragraph {
                    let at = out.find(&c.text).unwrap();
                    let before_ok = at == 0 || out[..at].ends_with("\n\n");
                    let after = &out[at + c.text.len()..];
                    let after_ok = after.is_empty() || after.starts_with("\n\n");
                    assert!(before_ok && after_ok, "paragraph {:?} not at a break in {out:?}", c.text);
                }
                if c.frame.starts_with("sig.") || c.frame.starts_with("comment.") {
                    let at = out.find(&c.text).unwrap();
                    let after = &out[at + c.text.len()..];
                    assert!(
                        carriers.iter().any(|o| after.contains(&o.text) && !o.text.is_empty()) || after.is_empty(),
                        "{:?} followed by post text in {out:?}",
                        c.frame
                    );
                    assert!(!post.split("\n\n").any(|para| after.contains(para.trim())), "{out:?}");
                }
                rest = rest.replacen(&c.text, " ", 1);
            }
            assert_eq!(
                rest.split_whitespace().collect::<Vec<_>>(),
                post.split_whitespace().collect::<Vec<_>>(),
                "post changed: {out:?}"
            );
        }
        assert!(place("  \n ", &[hard_negative(&mut rng)], &mut rng).is_err());
        let (same, none) = place("Just this.", &[], &mut rng).unwrap();
        assert_eq!((same.as_str(), none.len()), ("Just this.", 0));
    }

    #[test]
    fn place_covers_start_middle_and_end() {
        let mut rng = StdRng::seed_from_u64(17);
        let post = POSTS[0];
        let mut seen: HashSet<(CarrierKind, &str)> = HashSet::new();
        for _ in 0..300 {
            let c = if rng.random_bool(0.5) { positive(&[PiiType::Phone], &mut rng) } else { hard_negative(&mut rng) };
            if anchor(c.frame) != Anchor::Any {
                continue;
            }
            let (out, _) = place(post, std::slice::from_ref(&c), &mut rng).unwrap();
            let pos = position(&out, &c.text);
            if c.kind == CarrierKind::Sentence && pos == "middle" {
                // Mid-post sentences follow a sentence end.
                let at = out.find(&c.text).unwrap();
                assert!(ends_sentence(&out[..at]), "{out:?}");
            }
            seen.insert((c.kind, pos));
        }
        for kind in [CarrierKind::Sentence, CarrierKind::Paragraph] {
            for pos in ["start", "middle", "end"] {
                assert!(seen.contains(&(kind, pos)), "{kind:?} never at the {pos}: {seen:?}");
            }
        }
        // Anchored frames.
        let sig =
            Carrier { text: "Love,\nMaya".into(), spans: vec![], frame: "sig.love", kind: CarrierKind::Paragraph };
        let intro =
            Carrier { text: "By Maya".into(), spans: vec![], frame: "intro.byline", kind: CarrierKind::Paragraph };
        for _ in 0..20 {
            let (out, _) = place(post, &[sig.clone(), intro.clone()], &mut rng).unwrap();
            assert!(out.starts_with("By Maya\n\n") && out.ends_with("\n\nLove,\nMaya"), "{out:?}");
        }
    }

    #[test]
    fn place_gives_valid_spans_in_unicode_posts() {
        let mut rng = StdRng::seed_from_u64(29);
        let post = POSTS[1];
        for _ in 0..300 {
            let k = rng.random_range(1..4);
            let carriers: Vec<Carrier> = (0..k)
                .map(|_| {
                    let n = rng.random_range(1..4);
                    let types: Vec<PiiType> = PiiType::ALL.choose_multiple(&mut rng, n).copied().collect();
                    positive(&types, &mut rng)
                })
                .collect();
            let (out, spans) = place(post, &carriers, &mut rng).unwrap();
            blogbot_common::record::validate_spans(&out, &spans).unwrap();
            for s in &spans {
                assert_eq!(slice_chars(&out, s.start, s.end), Some(s.value.as_str()), "{out:?}");
            }
            assert!(out.contains("🍮") && out.contains("東京") && out.contains("Naïve"));
        }
    }
}
