/**
 * Countries and regions as BigCommerce wants them on an address: `country_code` an ISO 3166-1
 * alpha-2 code, `state_or_province` the full name ("codes not accepted") for the countries that
 * need one. IdPs send a country as a code or a name and a region often as a code (`TX`); this
 * module turns both into BigCommerce's form where that is unambiguous. Country names come from
 * ICU (Intl.DisplayNames), so every ISO 3166 code is known without shipping a table.
 */

const regionNames = new Intl.DisplayNames(["en"], { type: "region" });

/** A code's current form: ICU replaces deprecated aliases (UK -> GB, DD -> DE, YU -> RS). */
const canonicalCode = (code: string): string => new Intl.Locale(`und-${code}`).region ?? code;

/** ISO 3166-1 alpha-2 code -> English name, for every current code ICU knows as a country. */
const COUNTRY_NAME_OF_CODE: ReadonlyMap<string, string> = (() => {
  const out = new Map<string, string>();
  const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (const a of letters) {
    for (const b of letters) {
      const code = a + b;
      const name = regionNames.of(code);
      // ICU answers the code itself (or "Unknown Region") for codes that are not countries;
      // EU, UN, EZ, the Q* and X* user-assigned codes are groupings, not countries.
      if (name === undefined || name === code || name === "Unknown Region" || /^(EU|UN|EZ|X.|AA|ZZ|Q[M-Z])$/.test(code)) continue;
      if (canonicalCode(code) !== code) continue;
      out.set(code, name);
    }
  }
  return out;
})();

const COUNTRY_CODE_OF_NAME: ReadonlyMap<string, string> = new Map([...COUNTRY_NAME_OF_CODE].map(([code, name]) => [name.toLowerCase(), code]));

/** The alpha-2 code of a country given as a code (any case, an old alias too) or its English name; null when unknown. */
export function countryCodeOf(value: string): string | null {
  const trimmed = value.trim();
  if (/^[A-Za-z]{2}$/.test(trimmed)) {
    const code = canonicalCode(trimmed.toUpperCase());
    return COUNTRY_NAME_OF_CODE.has(code) ? code : null;
  }
  return COUNTRY_CODE_OF_NAME.get(trimmed.toLowerCase()) ?? null;
}

/**
 * Countries whose addresses need a state or province, and those that need a postal code, as
 * the BigCommerce emulator enforces them (spec: "required for countries that need" them).
 */
export const STATE_REQUIRED: ReadonlySet<string> = new Set(["US", "CA", "AU", "IN", "BR", "MX"]);
export const POSTAL_CODE_REQUIRED: ReadonlySet<string> = new Set(["US", "CA", "AU", "GB", "DE", "FR", "NL", "ES", "IT", "IN", "BR", "MX", "JP"]);

/** Region codes (ISO 3166-2 subdivision, without the country) -> full name, per country. */
const REGION_NAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  US: {
    AL: "Alabama", AK: "Alaska", AZ: "Arizona", AR: "Arkansas", CA: "California", CO: "Colorado", CT: "Connecticut",
    DE: "Delaware", DC: "District of Columbia", FL: "Florida", GA: "Georgia", HI: "Hawaii", ID: "Idaho", IL: "Illinois",
    IN: "Indiana", IA: "Iowa", KS: "Kansas", KY: "Kentucky", LA: "Louisiana", ME: "Maine", MD: "Maryland",
    MA: "Massachusetts", MI: "Michigan", MN: "Minnesota", MS: "Mississippi", MO: "Missouri", MT: "Montana",
    NE: "Nebraska", NV: "Nevada", NH: "New Hampshire", NJ: "New Jersey", NM: "New Mexico", NY: "New York",
    NC: "North Carolina", ND: "North Dakota", OH: "Ohio", OK: "Oklahoma", OR: "Oregon", PA: "Pennsylvania",
    RI: "Rhode Island", SC: "South Carolina", SD: "South Dakota", TN: "Tennessee", TX: "Texas", UT: "Utah",
    VT: "Vermont", VA: "Virginia", WA: "Washington", WV: "West Virginia", WI: "Wisconsin", WY: "Wyoming",
    AS: "American Samoa", GU: "Guam", MP: "Northern Mariana Islands", PR: "Puerto Rico", VI: "Virgin Islands",
  },
  CA: {
    AB: "Alberta", BC: "British Columbia", MB: "Manitoba", NB: "New Brunswick", NL: "Newfoundland and Labrador",
    NS: "Nova Scotia", NT: "Northwest Territories", NU: "Nunavut", ON: "Ontario", PE: "Prince Edward Island",
    QC: "Quebec", SK: "Saskatchewan", YT: "Yukon",
  },
  AU: {
    ACT: "Australian Capital Territory", NSW: "New South Wales", NT: "Northern Territory", QLD: "Queensland",
    SA: "South Australia", TAS: "Tasmania", VIC: "Victoria", WA: "Western Australia",
  },
};

export type RegionResult = { ok: true; name: string } | { ok: false; reason: string };

/**
 * BigCommerce's `state_or_province` for a region an IdP sent: a known code (`TX`, `US-TX`)
 * becomes the full name, a known name gets its canonical spelling, anything else is kept as it
 * is, except a code-like value (2–3 letters) for a country that needs the full name, which
 * cannot be translated here and would be refused by BigCommerce.
 */
export function regionFor(countryCode: string, region: string): RegionResult {
  const trimmed = region.trim();
  const table = REGION_NAMES[countryCode];
  if (table) {
    const code = trimmed.toUpperCase().replace(new RegExp(`^${countryCode}-`), "");
    const byCode = table[code];
    if (byCode !== undefined) return { ok: true, name: byCode };
    const byName = Object.values(table).find((n) => n.toLowerCase() === trimmed.toLowerCase());
    if (byName !== undefined) return { ok: true, name: byName };
  }
  if (STATE_REQUIRED.has(countryCode) && /^([A-Za-z]{2}-)?[A-Za-z]{2,3}$/.test(trimmed)) {
    return { ok: false, reason: `'${trimmed}' is not a known region code of ${countryCode}; send the full name (BigCommerce accepts no codes)` };
  }
  return { ok: true, name: trimmed };
}
