"""JavaScript installed once in every V8 context used for script evaluation.

It hardens the context so evaluations cannot leave state behind for the next one:

* every built-in reachable from ``globalThis`` is frozen and every pre-existing global made
  read-only, so scripts cannot patch ``Array.prototype``, replace ``JSON``, etc.;
* globals a script creates (``x = 1``, ``this.y = 2``) are deleted before and after each run;
  if that fails (non-configurable property, changed prototype, non-extensible global) the run
  reports ``dirty`` and the host discards the context;
* scripts run through direct ``eval`` inside a fresh function, so ``var``/``let``/``function``
  declarations are local to that run and the completion value of the program is the result;
* timers (``setTimeout`` installed by mini-racer, ``Atomics.waitAsync``) and the legacy
  ``RegExp.$1``-style statics are removed, ``console`` is replaced by a capturing one.

``__podium.run(kind, source, bindings)`` returns one JSON string:
``{"v": value, "l": logs}`` or ``{"e": message, "l": logs}``, plus ``"dirty": true`` when the
context must be dropped. ``kind``: 0 program, 1 function body, 2 syntax check of a program,
3 syntax check of a function body.
"""

BOOTSTRAP = r"""
(() => {
  'use strict';
  const G = globalThis;
  const stringify = JSON.stringify;
  const ownKeys = Reflect.ownKeys;
  const getDesc = Reflect.getOwnPropertyDescriptor;
  const defineProp = Reflect.defineProperty;
  const deleteProp = Reflect.deleteProperty;
  const getProto = Reflect.getPrototypeOf;
  const setProto = Reflect.setPrototypeOf;
  const isExtensible = Reflect.isExtensible;
  const freeze = Object.freeze;
  const StringCtor = String;
  const ErrorCtor = Error;
  const SyntaxErrorCtor = SyntaxError;
  const FunctionCtor = Function;

  const logs = [];
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

  for (const k of ['setTimeout', 'clearTimeout', '__timer_manager']) {
    if (k in G) G[k] = undefined;
  }
  deleteProp(Atomics, 'waitAsync');
  for (const k of ['$1', '$2', '$3', '$4', '$5', '$6', '$7', '$8', '$9', 'input', '$_', 'lastMatch',
                   '$&', 'lastParen', '$+', 'leftContext', '$`', 'rightContext', "$'"]) {
    deleteProp(RegExp, k);
  }

  // `__TimerManager` is a script-level class binding left by mini-racer: shadow it with a parameter.
  const runProgram = new FunctionCtor('$', '__TimerManager', 'return eval(arguments[2]);');
  const makeBody = (src) => new FunctionCtor('$', '__TimerManager', src);
  const strictPrologue = /^(?:\s|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*(['"])use strict\1/;

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

  const run = (kind, src, $) => {
    if (!clean()) return '{"dirty":true,"e":"script context was not clean","l":[]}';
    logs.length = 0;
    let out;
    try {
      if (kind === 2 || kind === 3) {
        let message = null;
        try {
          // a program is parsed in full before it runs: stop it at once with `throw 0`
          const prologue = strictPrologue.test(src) ? "'use strict';" : '';
          if (kind === 3) makeBody(src);
          else runProgram(undefined, undefined, prologue + 'throw 0;' + src);
        } catch (e) {
          if (e instanceof SyntaxErrorCtor) message = errText(e);
        }
        out = stringify({ v: message, l: [] });
      } else {
        const value = kind === 1 ? makeBody(src)($) : runProgram($, undefined, src);
        out = stringify({ v: value, l: logs });
      }
    } catch (e) {
      out = stringify({ e: errText(e), l: logs });
    }
    logs.length = 0;
    if (!clean()) out = out.slice(0, -1) + ',"dirty":true}';
    return out;
  };

  const api = freeze({ run });
  defineProp(G, '__podium', { value: api, writable: false, configurable: false, enumerable: false });

  // Freeze every object reachable from the globals (not the global object itself).
  const seen = new Set();
  const stack = [getProto(G)];
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
  // Make every existing global read-only and permanent.
  for (const k of ownKeys(G)) {
    const d = getDesc(G, k);
    if ('value' in d) defineProp(G, k, { writable: false, configurable: false });
    else defineProp(G, k, { configurable: false });
  }

  const baseline = new Set(ownKeys(G));
  const baseProto = getProto(G);
  const clean = () => {
    for (const k of ownKeys(G)) {
      if (!baseline.has(k) && !deleteProp(G, k)) return false;
    }
    if (getProto(G) !== baseProto && !setProto(G, baseProto)) return false;
    return isExtensible(G);
  };
})();
"""
