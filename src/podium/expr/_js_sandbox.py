"""JavaScript installed once in every QuickJS context used for script evaluation.

Evaluating ``BOOTSTRAP`` hardens the context and yields the ``run`` function the host calls;
``run`` itself is reachable from no script. What the hardening guarantees:

* every built-in reachable from ``globalThis`` (and the hidden iterator/generator/async
  intrinsics) is frozen and every pre-existing global made read-only and permanent, so scripts
  cannot patch ``Array.prototype``, replace ``JSON``, etc.;
* globals a script creates (``x = 1``, ``this.y = 2``, ``var`` in an indirect eval) are deleted
  after each run. A cheap check (enumerable keys, symbol count, prototype) covers the common
  case; the built-ins that can add non-enumerable globals (``Object.defineProperty`` & co,
  ``Proxy`` over the global) flag a full scan. A global that cannot be removed, or a changed
  global prototype/extensibility, makes the host discard the context. (``let``/``class`` in
  eval code or ``Function`` bodies stay local to that code.)
* declarations are local to the run: programs run through direct ``eval`` inside a fresh
  function call; a program that is a single expression (seen at least twice) and every
  function body are compiled once per context into a frozen function and cached. A source
  that could reassign the compiler's ``__podium_fn`` binding (it names it, or ``eval``) is
  never cached;
* compiling never executes the source: it goes through ``eval('throw 0; function ...')``,
  which only hoists the declaration, and the function's own source text must be the whole
  wrapper (so a body like ``}); evil(); (function(){`` cannot escape it);
* ``console`` is replaced by a capturing one.

``run(kind, source, bindings_json)`` — ``kind``: 0 program, 1 function body, 2 syntax check of
a program, 3 syntax check of a function body, plus 4 when ``source`` is JSON-encoded (it holds
NUL characters). It returns a number, boolean or null, a string (no logs, no NUL or surrogate,
not starting with ``\\x01``), or ``"\\x01"`` + JSON of ``{"v"?, "e"?, "l": logs, "m"?: 1
(out of memory), "x"?: 1 (discard this context)}``. A syntax check's value is null or the
error text.
"""

BOOTSTRAP = r"""
(() => {
  'use strict';
  const G = globalThis;
  const R = Reflect;
  const { apply, ownKeys, defineProperty: defineProp, deleteProperty: deleteProp,
          getPrototypeOf: getProto, setPrototypeOf: setProto, isExtensible } = R;
  const getDesc = R.getOwnPropertyDescriptor;
  const { freeze, getOwnPropertySymbols: getSyms } = Object;
  const { stringify, parse } = JSON;
  const fnToString = Function.prototype.toString;
  const StringCtor = String;
  const ErrorCtor = Error;
  const SyntaxErrorCtor = SyntaxError;
  const InternalErrorCtor = typeof InternalError === 'function' ? InternalError : ErrorCtor;
  const MapCtor = Map;
  const SetCtor = Set;
  const RealFunction = Function;

  let logs = [];
  let touched = false;   // the global object may have got a non-enumerable own property
  let dispose = false;   // the context must not be reused

  // ---- console --------------------------------------------------------------------------
  const fmt = (a) => {
    if (typeof a === 'string') return a;
    if (a === undefined || typeof a === 'function' || typeof a === 'symbol' || typeof a === 'bigint') {
      return StringCtor(a);
    }
    try {
      const s = stringify(a);
      return s === undefined ? StringCtor(a) : s;
    } catch (e) {
      return StringCtor(a);
    }
  };
  const logger = () => function (...args) { logs.push(args.map(fmt).join(' ')); };
  const capture = {
    log: logger(), info: logger(), warn: logger(), error: logger(), debug: logger(), trace: logger(),
  };
  defineProp(G, 'console', { value: capture, writable: true, configurable: true, enumerable: false });
  deleteProp(G, '__date_clock');

  // ---- guards around the ways to leave state the cheap clean-up check cannot see --------
  const guard = (holder, key, check) => {
    const orig = holder[key];
    const wrapped = {
      [key](...args) { check(this, args); return apply(orig, this, args); },
    }[key];
    defineProp(wrapped, 'length', { value: orig.length });
    defineProp(holder, key, { value: wrapped });
  };
  const firstIsGlobal = (self, args) => { if (args[0] === G) touched = true; };
  const selfIsGlobal = (self) => { if (self === G) touched = true; };
  guard(Object, 'defineProperty', firstIsGlobal);
  guard(Object, 'defineProperties', firstIsGlobal);
  guard(R, 'defineProperty', firstIsGlobal);
  for (const k of ['__defineGetter__', '__defineSetter__']) {
    if (typeof Object.prototype[k] === 'function') guard(Object.prototype, k, selfIsGlobal);
  }
  const RealProxy = Proxy;
  const realRevocable = Proxy.revocable;
  const SafeProxy = function Proxy(target, handler) {
    if (new.target === undefined) throw new TypeError("Constructor Proxy requires 'new'");
    if (target === G) touched = true;
    return new RealProxy(target, handler);
  };
  SafeProxy.revocable = function revocable(target, handler) {
    if (target === G) touched = true;
    return apply(realRevocable, RealProxy, [target, handler]);
  };
  defineProp(G, 'Proxy', { value: SafeProxy });

  // ---- compiling and running -------------------------------------------------------------
  // Direct eval inside these functions: declarations stay in the call's own scope.
  const runProgram = new RealFunction('$', 'return eval(arguments[1]);');
  const hoist = new RealFunction(
    'try { eval(arguments[0]); } catch (e) { if (e !== 0) throw e; } return __podium_fn;');
  freeze(runProgram); freeze(runProgram.prototype);
  freeze(hoist); freeze(hoist.prototype);

  // A compiled function shares the scope `hoist` left it, holding the `__podium_fn` binding:
  // a source that could assign it (by name or through a direct eval) is never cached.
  // Identifiers may be spelt with escapes (`\u0065val`): test the unescaped text too.
  const riskyName = /(?:^|[^\w$.])(?:eval|__podium_fn)(?![\w$])/;
  const escapes = /\\u\{([0-9a-fA-F]+)\}|\\u([0-9a-fA-F]{4})/g;
  const fromCodePoint = StringCtor.fromCodePoint;
  const decodeEscape = (m, a, b) => fromCodePoint(parseInt(a === undefined ? b : a, 16));
  const risky = {
    test(src) {
      if (riskyName.test(src)) return true;
      if (!src.includes('\\u')) return false;
      try {
        return riskyName.test(src.replace(escapes, decodeEscape));
      } catch (e) {
        return true;
      }
    },
  };
  const strictPrologue = /^(?:\s|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*(['"])use strict\1/;
  // A program is only compiled as an expression when it cannot mean something else as one.
  const notExpression =
    /^(?:\s|\/\/[^\n\r\u2028\u2029]*|\/\*[\s\S]*?\*\/)*(?:\{|(?:function|class|async|let)(?![\w$]))|<!--|-->/;
  const badString = /^\x01|[\0\ud800-\udfff]/;

  const compileFunction = (body) => {
    const text = 'function __podium_fn($\n) {\n' + body + '\n}';
    const fn = hoist('throw 0; ' + text);
    if (typeof fn !== 'function' || apply(fnToString, fn, []) !== text) {
      throw new SyntaxErrorCtor("Unexpected token '}'");
    }
    freeze(fn); freeze(fn.prototype);
    return fn;
  };
  const checkProgram = (src) => {   // throws the SyntaxError, if any
    const prologue = strictPrologue.test(src) ? "'use strict';" : '';
    try {
      runProgram(undefined, prologue + 'throw 0;' + src);   // parses all, runs nothing
    } catch (e) {
      if (e !== 0) throw e;
    }
  };

  const MAX_CACHE = 256;
  const programs = new MapCtor();  // source -> SEEN | STATEMENTS | compiled function
  const bodies = new MapCtor();    // source -> compiled function
  const SEEN = 1, STATEMENTS = 2;
  const remember = (cache, src, entry) => {
    if (cache.size >= MAX_CACHE) cache.clear();
    cache.set(src, entry);
  };

  const runProgramCached = (src, $) => {
    let entry = programs.get(src);
    if (entry === undefined) {
      entry = risky.test(src) ? STATEMENTS : SEEN;
      remember(programs, src, entry);
    } else if (entry === SEEN) {
      entry = STATEMENTS;
      if (!notExpression.test(src)) {
        let fn = null;
        try {
          checkProgram(src);
          fn = compileFunction('return (' + src + '\n);');
        } catch (e) { /* run it as statements: that reports the error, if any */ }
        if (fn !== null) entry = fn;
      }
      programs.set(src, entry);
    }
    if (typeof entry === 'function') return entry($);
    return runProgram($, src);
  };
  const runBodyCached = (src, $) => {
    let fn = bodies.get(src);
    if (fn === undefined) {
      fn = compileFunction(src);
      if (!risky.test(src)) remember(bodies, src, fn);
    }
    return fn($);
  };
  const checkSyntax = (kind, src) => {
    try {
      if (kind === 3) {
        compileFunction(src);
      } else {
        checkProgram(src);
      }
    } catch (e) {
      if (e instanceof SyntaxErrorCtor) return errText(e);
    }
    return null;
  };

  const errText = (e) => {
    try {
      if (e instanceof ErrorCtor) return StringCtor(e);
      if (typeof e === 'string') return e;
      const s = stringify(e);
      return s === undefined ? StringCtor(e) : s;
    } catch (x) {
      return 'Error';
    }
  };

  // ---- clean-up after a run ----------------------------------------------------------------
  const baseProto = getProto(G);
  let baseline = null;
  let baseSymbols = 0;
  const clean = () => {
    if (getProto(G) !== baseProto && !setProto(G, baseProto)) return false;
    if (!isExtensible(G)) return false;
    if (!touched && getSyms(G).length === baseSymbols) {
      let added = false;
      for (const k in G) { added = true; break; }
      if (!added) return true;
    }
    touched = false;
    for (const k of ownKeys(G)) {
      if (!baseline.has(k) && !deleteProp(G, k)) return false;
    }
    return true;
  };

  const run = (kind, src, bindings) => {
    logs.length = 0;
    let value, out, failed = false, oom = false;
    try {
      if (kind & 4) src = parse(src);
      kind &= 3;
      if (kind >= 2) value = checkSyntax(kind, src);
      else if (kind === 1) value = runBodyCached(src, parse(bindings));
      else value = runProgramCached(src, parse(bindings));
    } catch (e) {
      failed = true;
      value = errText(e);
      if (e instanceof InternalErrorCtor && e.message === 'out of memory') oom = dispose = true;
    }
    if (!clean()) dispose = true;
    const t = typeof value;
    if (!failed && !dispose && logs.length === 0) {
      if (t === 'number' || t === 'boolean' || value === null || value === undefined) return value;
      if (t === 'string' && !badString.test(value)) return value;
      if (t === 'function' || t === 'symbol') return null;
    }
    const env = failed ? { e: value, l: logs } : { v: value, l: logs };
    if (oom) env.m = 1;
    if (dispose) env.x = 1;
    try {
      out = '\x01' + stringify(env);
    } catch (e) {
      out = '\x01' + stringify({ e: errText(e), l: logs, x: dispose ? 1 : undefined });
    }
    logs.length = 0;
    return out;
  };

  // ---- freeze the realm ------------------------------------------------------------------
  const seen = new SetCtor();
  const stack = [baseProto, runProgram, hoist, SafeProxy];
  for (const f of [function* () {}, async function () {}, async function* () {}]) stack.push(f, f.prototype);
  stack.push([][Symbol.iterator](), new MapCtor().entries(), new SetCtor().values(),
             ''[Symbol.iterator](), /x/[Symbol.matchAll](''), (function* () {})(),
             (async function* () {})());
  for (const k of ownKeys(G)) {
    const d = getDesc(G, k);
    if ('value' in d) stack.push(d.value); else stack.push(d.get, d.set);
  }
  while (stack.length) {
    const x = stack.pop();
    if (x === null || x === G || (typeof x !== 'object' && typeof x !== 'function') || seen.has(x)) continue;
    seen.add(x);
    try { freeze(x); } catch (e) { /* objects that cannot be frozen stay as they are */ }
    stack.push(getProto(x));
    for (const k of ownKeys(x)) {
      const d = getDesc(x, k);
      if (d === undefined) continue;
      if ('value' in d) stack.push(d.value); else stack.push(d.get, d.set);
    }
  }
  // Every existing global becomes read-only, permanent and non-enumerable.
  for (const k of ownKeys(G)) {
    const d = getDesc(G, k);
    if ('value' in d) defineProp(G, k, { writable: false, configurable: false, enumerable: false });
    else defineProp(G, k, { configurable: false, enumerable: false });
  }
  baseline = new SetCtor(ownKeys(G));
  baseSymbols = getSyms(G).length;
  return run;
})()
"""
