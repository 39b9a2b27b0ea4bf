//! Pills and the boot sequence, assembled as the P1 king does (king-protocol.md §4.1, §4.2).

use crate::noun::{list_iter, tas, Atom, HeapAlloc, Noun, Oom, T};
use crate::serial::cue_bytes;

/// A parsed `[%pill nam bot mod use]`.
pub struct Pill {
    pub name: String,
    pub bot: Vec<Noun>,
    pub mod_: Vec<Noun>,
    pub use_: Vec<Noun>,
}

fn items(what: &str, n: Noun) -> Result<Vec<Noun>, String> {
    list_iter(n)
        .collect::<Result<Vec<_>, ()>>()
        .map_err(|_| format!("pill: {what} is not a list"))
}

/// Decode a pill file's bytes (into `h`).
pub fn parse_pill(h: &mut HeapAlloc, bytes: &[u8]) -> Result<Pill, String> {
    let n = cue_bytes(h, bytes).map_err(|e| format!("pill: {e}"))?;
    let bad = || "pill: expected [%pill nam bot mod use]".to_string();
    let c = n.as_cell().ok_or_else(bad)?;
    if c.head() == tas("ivory") {
        return Err("pill: an %ivory pill cannot boot a ship".into());
    }
    if c.head() != tas("pill") {
        return Err(bad());
    }
    let c = c.tail().as_cell().ok_or_else(bad)?;
    let name = c
        .head()
        .as_atom()
        .map(|a| String::from_utf8_lossy(&a.to_bytes()).into_owned())
        .ok_or_else(bad)?;
    let c = c.tail().as_cell().ok_or_else(bad)?;
    let bot = items("bot", c.head())?;
    let c = c.tail().as_cell().ok_or_else(bad)?;
    let mod_ = items("mod", c.head())?;
    let use_ = items("use", c.tail())?;
    if bot.is_empty() {
        return Err("pill: empty boot sequence".into());
    }
    Ok(Pill {
        name,
        bot,
        mod_,
        use_,
    })
}

/// What the king puts into the boot sequence besides the pill.
#[derive(Clone, Debug)]
pub struct BootOptions {
    /// The ship (`~zod` = 0), booted as a fake ship.
    pub ship: u128,
    /// `%verb`: laconic unless verbose.
    pub verbose: bool,
    /// The `lite` flag of `%boot`.
    pub lite: bool,
    /// Boot time as `@da`.
    pub now: u128,
    /// 512 bits of entropy for `%wack`.
    pub eny: [u8; 64],
    /// Runtime version for `%wyrd` (`/vere/~.<version>`).
    pub version: String,
}

impl BootOptions {
    /// Options for a fake ship booted now, with OS entropy.
    pub fn new(ship: u128) -> BootOptions {
        let mut eny = [0u8; 64];
        if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
            use std::io::Read;
            let _ = f.read_exact(&mut eny);
        }
        BootOptions {
            ship,
            verbose: false,
            lite: false,
            now: super::date::now_da(),
            eny,
            version: "1.16".into(),
        }
    }
}

/// The boot sequence: `bot` verbatim, then `[t+k·2^48 ovum]` for the wisps `%wyrd %whom %wack %verb`, the pill's
/// `mod`, the `%boot [%fake ship]` event on `/d/term/1`, and the pill's `use`.
pub fn boot_sequence(h: &mut HeapAlloc, pill: &Pill, o: &BootOptions) -> Result<Vec<Noun>, Oom> {
    let arvo_wire = super::cards::arvo_wire(h)?;
    let mut ova = Vec::new();
    let wyrd = super::cards::wyrd(h, o.now, &o.version)?;
    ova.push(T(h, &[arvo_wire, wyrd])?);
    // %whom ship
    let ship = Atom::from_u128(h, o.ship)?.as_noun();
    let whom = T(h, &[tas("whom"), ship])?;
    ova.push(T(h, &[arvo_wire, whom])?);
    let wack = super::cards::wack(h, &o.eny)?;
    ova.push(T(h, &[arvo_wire, wack])?);
    let verb = super::cards::verb(h, o.verbose)?;
    ova.push(T(h, &[arvo_wire, verb])?);
    ova.extend_from_slice(&pill.mod_);
    // %boot lite [%fake ship] on /d/term/1
    let term_wire = super::cards::term_wire(h)?;
    let vent = T(h, &[tas("fake"), ship])?;
    let boot = T(h, &[tas("boot"), Noun::flag(o.lite), vent])?;
    ova.push(T(h, &[term_wire, boot])?);
    ova.extend_from_slice(&pill.use_);

    let mut events = pill.bot.clone();
    for (k, ovum) in ova.into_iter().enumerate() {
        let t = Atom::from_u128(h, o.now + ((k as u128) << 48))?.as_noun();
        events.push(T(h, &[t, ovum])?);
    }
    Ok(events)
}
