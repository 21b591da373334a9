// The Snowball English stemmer ("Porter2"), ported from the code Snowball 3.1.1 generates for english.sbl
// (https://snowballstem.org/, BSD licence), so that the browser stems exactly like PyStemmer at index time.
// Proven equal to PyStemmer word for word over every distinct word of the bundled corpora, the BERT vocabulary
// and a dictionary word list (tests/test_search_stem.py). Words are lowercase ASCII here: the search analyzer
// (search_text.mjs, exporter/search/analyze.py) stems only words of [a-z0-9] and keeps every other word as it is.

const G_V = "aeiouy";
const G_V_WXY = "Yaeiouwxy";
const G_VALID_LI = "cdeghkmnrt";
const G_AEO = "aeo";

// [string, index of the longest entry that is a suffix of this one (or -1), result]
const A_0 = [["arsen", -1, -1], ["commun", -1, -1], ["emerg", -1, -1], ["gener", -1, -1], ["inter", -1, -1],
  ["later", -1, -1], ["organ", -1, -1], ["past", -1, -1], ["univers", -1, -1]];
const A_1 = [["'", -1, 1], ["'s'", 0, 1], ["'s", -1, 1]];
const A_2 = [["ied", -1, 2], ["s", -1, 3], ["ies", 1, 2], ["sses", 1, 1], ["ss", 1, -1], ["us", 1, -1]];
const A_3 = [["succ", -1, 1], ["proc", -1, 1], ["exc", -1, 1]];
const A_4 = [["even", -1, 2], ["cann", -1, 2], ["inn", -1, 2], ["earr", -1, 2], ["herr", -1, 2], ["out", -1, 2], ["y", -1, 1]];
const A_5 = [["", -1, -1], ["ed", 0, 2], ["eed", 1, 1], ["ing", 0, 3], ["edly", 0, 2], ["eedly", 4, 1], ["ingly", 0, 2]];
const A_6 = [["", -1, 3], ["bb", 0, 2], ["dd", 0, 2], ["ff", 0, 2], ["gg", 0, 2], ["bl", 0, 1], ["mm", 0, 2], ["nn", 0, 2],
  ["pp", 0, 2], ["rr", 0, 2], ["at", 0, 1], ["tt", 0, 2], ["iz", 0, 1]];
const A_7 = [["anci", -1, 3], ["enci", -1, 2], ["ogi", -1, 14], ["li", -1, 16], ["bli", 3, 12], ["abli", 4, 4], ["alli", 3, 8],
  ["fulli", 3, 9], ["lessli", 3, 15], ["ousli", 3, 10], ["entli", 3, 5], ["aliti", -1, 8], ["biliti", -1, 12], ["iviti", -1, 11],
  ["tional", -1, 1], ["ational", 14, 7], ["alism", -1, 8], ["ation", -1, 7], ["ization", 17, 6], ["izer", -1, 6], ["ator", -1, 7],
  ["iveness", -1, 11], ["fulness", -1, 9], ["ousness", -1, 10], ["ogist", -1, 13]];
const A_8 = [["icate", -1, 4], ["ative", -1, 6], ["alize", -1, 3], ["iciti", -1, 4], ["ical", -1, 4], ["tional", -1, 1],
  ["ational", 5, 2], ["ful", -1, 5], ["ness", -1, 5]];
const A_9 = [["ic", -1, 1], ["ance", -1, 1], ["ence", -1, 1], ["able", -1, 1], ["ible", -1, 1], ["ate", -1, 1], ["ive", -1, 1],
  ["ize", -1, 1], ["iti", -1, 1], ["al", -1, 1], ["ism", -1, 1], ["ion", -1, 2], ["er", -1, 1], ["ous", -1, 1], ["ant", -1, 1],
  ["ent", -1, 1], ["ment", 15, 1], ["ement", 16, 1]];
const A_10 = [["e", -1, 1], ["l", -1, 2]];
const A_11 = [["andes", -1, -1], ["atlas", -1, -1], ["bias", -1, -1], ["cosmos", -1, -1], ["early", -1, 6], ["gently", -1, 4],
  ["howe", -1, -1], ["idly", -1, 3], ["news", -1, -1], ["only", -1, 7], ["singly", -1, 8], ["skies", -1, 2], ["skis", -1, 1],
  ["sky", -1, -1], ["ugly", -1, 5]];
const AS_11 = ["ski", "sky", "idl", "gentl", "ugli", "earli", "onli", "singl"];

/** Snowball's runtime state over one word (BaseStemmer). */
class State {
  constructor(word) {
    this.s = word;
    this.cursor = 0;
    this.limit = word.length;
    this.lb = 0;
    this.bra = 0;
    this.ket = word.length;
    this.p1 = 0;
    this.p2 = 0;
    this.yFound = false;
  }

  at(i) { return this.s[i]; }
  inG(g) {
    if (this.cursor >= this.limit || !g.includes(this.s[this.cursor])) return false;
    this.cursor++;
    return true;
  }
  goInG(g) {
    while (this.cursor < this.limit) {
      if (!g.includes(this.s[this.cursor])) return true;
      this.cursor++;
    }
    return false;
  }
  goOutG(g) {
    while (this.cursor < this.limit) {
      if (g.includes(this.s[this.cursor])) return true;
      this.cursor++;
    }
    return false;
  }
  inGB(g) {
    if (this.cursor <= this.lb || !g.includes(this.s[this.cursor - 1])) return false;
    this.cursor--;
    return true;
  }
  outGB(g) {
    if (this.cursor <= this.lb || g.includes(this.s[this.cursor - 1])) return false;
    this.cursor--;
    return true;
  }
  goOutGB(g) {
    while (this.cursor > this.lb) {
      if (g.includes(this.s[this.cursor - 1])) return true;
      this.cursor--;
    }
    return false;
  }
  eqSB(t) {
    if (this.cursor - this.lb < t.length || this.s.slice(this.cursor - t.length, this.cursor) !== t) return false;
    this.cursor -= t.length;
    return true;
  }

  findAmong(v) {
    let i = 0, j = v.length, ci = 0, cj = 0, firstKey = false;
    const c = this.cursor, l = this.limit;
    for (;;) {
      const k = i + ((j - i) >> 1), w = v[k][0];
      let diff = 0, common = Math.min(ci, cj);
      for (let i2 = common; i2 < w.length; i2++) {
        if (c + common === l) { diff = -1; break; }
        diff = this.s.charCodeAt(c + common) - w.charCodeAt(i2);
        if (diff !== 0) break;
        common++;
      }
      if (diff < 0) { j = k; cj = common; } else { i = k; ci = common; }
      if (j - i <= 1) {
        if (i > 0 || j === i || firstKey) break;
        firstKey = true;
      }
    }
    for (;;) {
      const w = v[i];
      if (ci >= w[0].length) {
        this.cursor = c + w[0].length;
        return w[2];
      }
      i = w[1];
      if (i < 0) return 0;
    }
  }

  findAmongB(v) {
    let i = 0, j = v.length, ci = 0, cj = 0, firstKey = false;
    const c = this.cursor, lb = this.lb;
    for (;;) {
      const k = i + ((j - i) >> 1), w = v[k][0];
      let diff = 0, common = Math.min(ci, cj);
      for (let i2 = w.length - 1 - common; i2 >= 0; i2--) {
        if (c - common === lb) { diff = -1; break; }
        diff = this.s.charCodeAt(c - 1 - common) - w.charCodeAt(i2);
        if (diff !== 0) break;
        common++;
      }
      if (diff < 0) { j = k; cj = common; } else { i = k; ci = common; }
      if (j - i <= 1) {
        if (i > 0 || j === i || firstKey) break;
        firstKey = true;
      }
    }
    for (;;) {
      const w = v[i];
      if (ci >= w[0].length) {
        this.cursor = c - w[0].length;
        return w[2];
      }
      i = w[1];
      if (i < 0) return 0;
    }
  }

  replace(cBra, cKet, t) {
    const adj = t.length - (cKet - cBra);
    this.s = this.s.slice(0, cBra) + t + this.s.slice(cKet);
    this.limit += adj;
    if (this.cursor >= cKet) this.cursor += adj;
    else if (this.cursor > cBra) this.cursor = cBra;
    return adj;
  }
  sliceFrom(t) {
    this.replace(this.bra, this.ket, t);
    this.ket = this.bra + t.length;
  }
  sliceDel() { this.sliceFrom(""); }
}

function prelude(z) {
  z.yFound = false;
  const v1 = z.cursor;
  z.bra = z.cursor;
  if (z.cursor !== z.limit && z.at(z.cursor) === "'") { z.cursor++; z.ket = z.cursor; z.sliceDel(); }
  z.cursor = v1;
  const v2 = z.cursor;
  z.bra = z.cursor;
  if (z.cursor !== z.limit && z.at(z.cursor) === "y") { z.cursor++; z.ket = z.cursor; z.sliceFrom("Y"); z.yFound = true; }
  z.cursor = v2;
  const v3 = z.cursor;
  for (;;) { // every y after a vowel becomes Y
    const v4 = z.cursor;
    let found = false;
    for (;;) {
      const v5 = z.cursor;
      if (z.inG(G_V)) {
        z.bra = z.cursor;
        if (z.cursor !== z.limit && z.at(z.cursor) === "y") {
          z.cursor++;
          z.ket = z.cursor;
          z.cursor = v5;
          found = true;
          break;
        }
      }
      z.cursor = v5;
      if (z.cursor >= z.limit) break;
      z.cursor++;
    }
    if (!found) { z.cursor = v4; break; }
    z.sliceFrom("Y");
    z.yFound = true;
  }
  z.cursor = v3;
}

function markRegions(z) {
  z.p1 = z.limit;
  z.p2 = z.limit;
  const v1 = z.cursor;
  lab0: {
    for (;;) {
      const v2 = z.cursor;
      if (z.findAmong(A_0) !== 0) break;
      z.cursor = v2;
      if (!z.goOutG(G_V)) break lab0;
      z.cursor++;
      if (!z.goInG(G_V)) break lab0;
      z.cursor++;
      break;
    }
    z.p1 = z.cursor;
    if (!z.goOutG(G_V)) break lab0;
    z.cursor++;
    if (!z.goInG(G_V)) break lab0;
    z.cursor++;
    z.p2 = z.cursor;
  }
  z.cursor = v1;
}

function shortv(z) {
  const v1 = z.limit - z.cursor;
  if (z.outGB(G_V_WXY) && z.inGB(G_V) && z.outGB(G_V)) return true;
  z.cursor = z.limit - v1;
  if (z.outGB(G_V) && z.inGB(G_V) && !(z.cursor > z.lb)) return true;
  z.cursor = z.limit - v1;
  return z.eqSB("past");
}

const R1 = (z) => z.p1 <= z.cursor;
const R2 = (z) => z.p2 <= z.cursor;

function step1a(z) {
  const v1 = z.limit - z.cursor;
  z.ket = z.cursor;
  if (z.findAmongB(A_1) === 0) z.cursor = z.limit - v1;
  else { z.bra = z.cursor; z.sliceDel(); }
  z.ket = z.cursor;
  const among = z.findAmongB(A_2);
  if (among === 0) return false;
  z.bra = z.cursor;
  if (among === 1) z.sliceFrom("ss");
  else if (among === 2) {
    const v2 = z.limit - z.cursor;
    if (!(z.cursor - 2 < z.lb)) { z.cursor -= 2; z.sliceFrom("i"); } else { z.cursor = z.limit - v2; z.sliceFrom("ie"); }
  } else if (among === 3) {
    if (z.cursor <= z.lb) return false;
    z.cursor--;
    if (!z.goOutGB(G_V)) return false;
    z.cursor--;
    z.sliceDel();
  }
  return true;
}

function step1b(z) {
  z.ket = z.cursor;
  let among = z.findAmongB(A_5);
  z.bra = z.cursor;
  const v1 = z.limit - z.cursor;
  lab0: {
    if (among === 1) {
      const v2 = z.limit - z.cursor;
      if (R1(z)) {
        const v3 = z.limit - z.cursor;
        if (!(z.findAmongB(A_3) !== 0 && !(z.cursor > z.lb))) {
          z.cursor = z.limit - v3;
          z.sliceFrom("ee");
        }
      }
      z.cursor = z.limit - v2;
    } else if (among === 2) {
      break lab0;
    } else if (among === 3) {
      among = z.findAmongB(A_4);
      if (among === 0) break lab0;
      if (among === 1) {
        const v4 = z.limit - z.cursor;
        if (!z.outGB(G_V)) break lab0;
        if (z.cursor > z.lb) break lab0;
        z.cursor = z.limit - v4;
        z.bra = z.cursor;
        z.sliceFrom("ie");
      } else if (z.cursor > z.lb) {
        break lab0;
      }
    }
    return true;
  }
  z.cursor = z.limit - v1;
  const v5 = z.limit - z.cursor;
  if (!z.goOutGB(G_V)) return false;
  z.cursor--;
  z.cursor = z.limit - v5;
  z.sliceDel();
  z.ket = z.cursor;
  z.bra = z.cursor;
  const v6 = z.limit - z.cursor;
  among = z.findAmongB(A_6);
  if (among === 1) {
    z.sliceFrom("e");
    return false;
  } else if (among === 2) {
    const v7 = z.limit - z.cursor;
    if (z.inGB(G_AEO) && !(z.cursor > z.lb)) return false;
    z.cursor = z.limit - v7;
  } else {
    if (z.cursor !== z.p1) return false;
    const v8 = z.limit - z.cursor;
    if (!shortv(z)) return false;
    z.cursor = z.limit - v8;
    z.sliceFrom("e");
    return false;
  }
  z.cursor = z.limit - v6;
  z.ket = z.cursor;
  if (z.cursor <= z.lb) return false;
  z.cursor--;
  z.bra = z.cursor;
  z.sliceDel();
  return true;
}

function step1c(z) {
  z.ket = z.cursor;
  if (z.cursor > z.lb && z.at(z.cursor - 1) === "y") z.cursor--;
  else if (z.cursor > z.lb && z.at(z.cursor - 1) === "Y") z.cursor--;
  else return false;
  z.bra = z.cursor;
  if (!z.outGB(G_V)) return false;
  if (z.cursor <= z.lb) return false;
  z.sliceFrom("i");
  return true;
}

const STEP2 = [null, "tion", "ence", "ance", "able", "ent", "ize", "ate", "al", "ful", "ous", "ive", "ble", "og", null, "less"];

function step2(z) {
  z.ket = z.cursor;
  const among = z.findAmongB(A_7);
  if (among === 0) return false;
  z.bra = z.cursor;
  if (!R1(z)) return false;
  if (among === 14) {
    if (z.cursor <= z.lb || z.at(z.cursor - 1) !== "l") return false;
    z.cursor--;
    z.sliceFrom("og");
  } else if (among === 16) {
    if (!z.inGB(G_VALID_LI)) return false;
    z.sliceDel();
  } else {
    z.sliceFrom(STEP2[among]);
  }
  return true;
}

function step3(z) {
  z.ket = z.cursor;
  const among = z.findAmongB(A_8);
  if (among === 0) return false;
  z.bra = z.cursor;
  if (!R1(z)) return false;
  if (among === 1) z.sliceFrom("tion");
  else if (among === 2) z.sliceFrom("ate");
  else if (among === 3) z.sliceFrom("al");
  else if (among === 4) z.sliceFrom("ic");
  else if (among === 5) z.sliceDel();
  else {
    if (!R2(z)) return false;
    z.sliceDel();
  }
  return true;
}

function step4(z) {
  z.ket = z.cursor;
  const among = z.findAmongB(A_9);
  if (among === 0) return false;
  z.bra = z.cursor;
  if (!R2(z)) return false;
  if (among === 1) z.sliceDel();
  else {
    if (z.cursor > z.lb && (z.at(z.cursor - 1) === "s" || z.at(z.cursor - 1) === "t")) z.cursor--;
    else return false;
    z.sliceDel();
  }
  return true;
}

function step5(z) {
  z.ket = z.cursor;
  const among = z.findAmongB(A_10);
  if (among === 0) return false;
  z.bra = z.cursor;
  if (among === 1) {
    if (!R2(z)) {
      if (!R1(z)) return false;
      const v1 = z.limit - z.cursor;
      if (shortv(z)) return false;
      z.cursor = z.limit - v1;
    }
    z.sliceDel();
  } else {
    if (!R2(z)) return false;
    if (z.cursor <= z.lb || z.at(z.cursor - 1) !== "l") return false;
    z.cursor--;
    z.sliceDel();
  }
  return true;
}

function exception1(z) {
  z.bra = z.cursor;
  const among = z.findAmong(A_11);
  if (among === 0) return false;
  z.ket = z.cursor;
  if (z.cursor < z.limit) return false;
  if (among > 0) z.sliceFrom(AS_11[among - 1]);
  return true;
}

function postlude(z) {
  if (!z.yFound) return;
  for (;;) {
    const v1 = z.cursor;
    let found = false;
    for (;;) {
      const v2 = z.cursor;
      z.bra = z.cursor;
      if (z.cursor !== z.limit && z.at(z.cursor) === "Y") {
        z.cursor++;
        z.ket = z.cursor;
        z.cursor = v2;
        found = true;
        break;
      }
      z.cursor = v2;
      if (z.cursor >= z.limit) break;
      z.cursor++;
    }
    if (!found) { z.cursor = v1; break; }
    z.sliceFrom("y");
  }
}

/**
 * The Snowball English stem of WORD (lowercase; words shorter than 3 letters and the exceptions stay as they are).
 * @param {string} word
 * @returns {string}
 */
export function stemEnglish(word) {
  const z = new State(word);
  if (exception1(z)) return z.s;
  z.cursor = 0;
  if (z.limit < 3) return z.s;
  prelude(z);
  markRegions(z);
  z.lb = z.cursor;
  z.cursor = z.limit;
  for (const step of [step1a, step1b, step1c, step2, step3, step4, step5]) {
    const v = z.limit - z.cursor;
    step(z);
    z.cursor = z.limit - v;
  }
  z.cursor = z.lb;
  postlude(z);
  return z.s;
}
