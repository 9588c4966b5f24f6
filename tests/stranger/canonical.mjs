// Canonical JSON of PROTOCOL.md §1, written from the document alone.
//
// Values: null, true, false, safe integers (JS numbers), strings, arrays, and objects
// (null-prototype objects, so that a key such as "__proto__" is an ordinary member).

export class CanonicalError extends Error {}

const MAX_INT = 2n ** 53n - 1n;
// §1: every document has a fixed shape of bounded depth, so anything deeper is `malformed`
// anyway; a reader "may refuse deeply nested JSON before it reads it (beyond 500 levels, say),
// with the same verdict": refused here beyond 500 (the top-level value is level 1).
const MAX_DEPTH = 500;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NON_ASCII = /[^\x00-\x7f]/;
const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

function fail(msg) {
  throw new CanonicalError(msg);
}

export function hasLoneSurrogate(s) {
  return LONE_SURROGATE.test(s);
}

// parse(text | bytes, {canonical}) -> value. Refuses floats, NaN, Infinity, integers
// outside ±(2^53−1), duplicate keys, non-ASCII keys, lone surrogates, invalid UTF-8, a
// byte-order mark and nesting deeper than 500 levels.
// With canonical: true the input must also be exactly the canonical form of its value.
export function parse(input, { canonical = false } = {}) {
  let text;
  if (typeof input === 'string') {
    text = input;
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
    } catch {
      fail('invalid UTF-8');
    }
  }
  if (text.charCodeAt(0) === 0xfeff) fail('byte-order mark');
  let i = 0;
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const value = (depth) => {
    ws();
    if (i >= text.length) fail('unexpected end');
    const c = text[i];
    if ((c === '{' || c === '[') && depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);
    if (c === '{') {
      i++;
      const obj = Object.create(null);
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a key at ${i}`);
        const key = string();
        if (NON_ASCII.test(key)) fail(`non-ASCII key ${JSON.stringify(key)}`);
        if (Object.prototype.hasOwnProperty.call(obj, key)) fail(`duplicate key ${JSON.stringify(key)}`);
        ws();
        if (text[i] !== ':') fail(`expected ':' at ${i}`);
        i++;
        obj[key] = value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail(`expected ',' or '}' at ${i}`);
      }
    }
    if (c === '[') {
      i++;
      const arr = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail(`expected ',' or ']' at ${i}`);
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) fail(`unexpected character ${JSON.stringify(c)} at ${i}`);
    if (m[1] !== undefined || m[2] !== undefined) fail(`float ${m[0]}`);
    i += m[0].length;
    const big = BigInt(m[0]);
    if (big > MAX_INT || big < -MAX_INT) fail(`integer out of range ${m[0]}`);
    return Number(big) + 0; // §1: "-0" reads as 0 (in canonical mode it is refused below: not the canonical form)
  };
  const string = () => {
    i++; // opening quote
    let out = '';
    let start = i;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const ch = text.charCodeAt(i);
      if (ch === 0x22) {
        out += text.slice(start, i);
        i++;
        break;
      }
      if (ch < 0x20) fail('raw control character in a string');
      if (ch === 0x5c) {
        out += text.slice(start, i);
        const e = text[i + 1];
        const simple = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else fail('bad escape');
        start = i;
        continue;
      }
      i++;
    }
    if (LONE_SURROGATE.test(out)) fail('lone surrogate');
    return out;
  };
  const v = value(1);
  ws();
  if (i !== text.length) fail(`trailing data at ${i}`);
  if (canonical && encode(v) !== text) fail('not in canonical form');
  return v;
}

function encodeString(s) {
  if (LONE_SURROGATE.test(s)) fail('lone surrogate');
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

// encode(value) -> canonical text (a JS string; its UTF-8 bytes are the canonical bytes).
export function encode(v) {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) fail(`not an integer in range: ${v}`);
    return String(v); // String(-0) === "0"
  }
  if (typeof v === 'string') return encodeString(v);
  if (Array.isArray(v)) return '[' + v.map(encode).join(',') + ']';
  if (typeof v === 'object') {
    const keys = Object.keys(v);
    for (const k of keys) if (NON_ASCII.test(k)) fail(`non-ASCII key ${JSON.stringify(k)}`);
    keys.sort(); // UTF-16 code unit order == byte order for ASCII keys
    return '{' + keys.map((k) => encodeString(k) + ':' + encode(v[k])).join(',') + '}';
  }
  fail(`not a JSON value: ${typeof v}`);
}

export function canonicalBytes(v) {
  return Buffer.from(encode(v), 'utf8');
}

export function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
