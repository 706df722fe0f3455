'use strict';
// infraplan's jsii host: the jsii kernel in ONE Node process (#16, docs/performance.md).
//
// jsii's own entry point (bin/jsii-runtime.js) starts a second Node process for the kernel
// (lib/program.js), talks to it on that child's fd 3, and relays every message and every byte
// the child prints: each round trip crosses four pipes and the relay holds ~51 MiB. This host
// runs the same kernel program in this process instead, giving it the stdio layout it expects
// from the relay's child:
//
//   what the kernel and the code it hosts use    what this process really does
//   fd 3, the jsii protocol (read and write)     fd 0 (requests from Python), fd 1 (responses)
//   fd 1 / process.stdout / console.log          {"stdout": base64} JSON lines on fd 2
//   fd 2 / process.stderr / console.error        {"stderr": base64} JSON lines on fd 2
//   fd 0 / process.stdin                         end of file (the relay gave the child none)
//
// jsii's Python side decodes those JSON lines back onto its own stdout and stderr
// (jsii/_kernel/providers/process.py, stderr_sink), so nothing the hosted JavaScript prints
// reaches the protocol pipe. The kernel program is the one the Python jsii package ships (the
// folder INFRAPLAN_JSII_EMBEDDED names; constructs_lib/terraform/jsii_host.py sets it), so its
// handshake always names the runtime version that Python package expects.
//
// Exit codes and signals: this process IS the kernel; it exits with the kernel's code, and a
// signal ends it as it ended the kernel child before (there is no child to forward it to, and no
// listener: see removeAtExit). An uncaught error is printed like any other stderr output, exit 1.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { Readable, Writable } = require('stream');

const PROTOCOL_IN = 0; // what jsii's Python side writes requests to
const PROTOCOL_OUT = 1; // what it reads responses from
const CONSOLE = 2; // what it decodes the JSON lines of
const KERNEL_CHANNEL = 3; // the kernel program's protocol descriptor (lib/program.js)

const realReadSync = fs.readSync;
const realWriteSync = fs.writeSync;
const realRead = fs.read;
const realWrite = fs.write;

//#region I/O on the real descriptors: blocking, EAGAIN waited out without spinning

const pauseCell = new Int32Array(new SharedArrayBuffer(4));

// Runs `op` until it does not fail with EAGAIN (a descriptor in non-blocking mode that is
// full or empty) or EINTR. jsii's SyncStdio retries such writes at once, in a busy loop;
// here the thread sleeps between tries (1 ms, doubling up to 20 ms), using no CPU.
function retrying(op) {
  let pause = 0;
  for (;;) {
    try {
      return op();
    } catch (err) {
      if (err.code !== 'EAGAIN' && err.code !== 'EINTR') {
        throw err;
      }
      if (err.code === 'EAGAIN') {
        pause = Math.min(pause === 0 ? 1 : pause * 2, 20);
        Atomics.wait(pauseCell, 0, 0, pause);
      }
    }
  }
}

function writeAll(fd, bytes) {
  let offset = 0;
  while (offset < bytes.length) {
    offset += retrying(() => realWriteSync(fd, bytes, offset, bytes.length - offset));
  }
}

// One chunk of console output, framed as jsii's relay frames it.
function forward(tag, bytes) {
  writeAll(CONSOLE, Buffer.from(`${JSON.stringify({ [tag]: Buffer.from(bytes).toString('base64') })}\n`));
}

// The console stream hosted code means by fd 1 or 2, else undefined.
function consoleTag(fd) {
  return fd === 1 ? 'stdout' : fd === CONSOLE ? 'stderr' : undefined;
}

//#endregion

//#region Creates Python does not wait for (constructs_lib/terraform/jsii_pipeline.py)
//
// Python may send a `create` without reading its answer, with the reference the kernel will give the
// object first on its line: {"infraplan.expect": "<fqn>@<n>", ...the create request}. Its answer is
// then not written. The kernel numbers its objects in the order it registers them, and Python sees
// every reference registered (each crosses the protocol), so Python can know <n>; here it is checked.
// To know which request an answer belongs to, the kernel is given one request line per read: it
// reads the next line only once it is done with the one before (lib/program.js's SyncStdio reads
// again only when no whole line is left). A request being served is on `serving` until its answer
// (a callback's nested requests on top of it); a callback's `complete` and `exit` have no answer.
// When such a create fails, Python is told at once, on a line of its own that answers nothing
// ({"infraplan.failedCreate": {...}}: Python reads it before the next answer it waits for), and a
// plain object is created in the failed one's place (its number taken), so that the numbers Python
// gave the creates after it stay right. An answer that is not the reference expected, or a callback
// while such a create is being served (Python is not listening), ends the process: nothing could
// be trusted then.

const EXPECT = Buffer.from('{"infraplan.expect": "');
const NEWLINE = 10;
const serving = []; // {expect: string | undefined} per request the kernel is serving
let inbound = Buffer.alloc(0); // read from Python, not yet given to the kernel
const chunk = Buffer.allocUnsafe(1 << 16); // what each read of fd 0 goes into
let atLineStart = true;
let helloWritten = false; // the kernel's first message is its hello; every later one a callback or an answer
const failures = []; // what each failed create not waited for said, for the fatal message

function fatal(message) {
  const before = failures.length > 0 ? ` (after ${failures.join('; ')})` : '';
  forward('stderr', Buffer.from(`infraplan's jsii host: ${message}${before}\n`));
  process.exit(1);
}

// Whether more must be read from Python before the kernel is given bytes: none are here, or a line
// starts and what it is (a create not waited for, and the reference it expects) cannot be told yet.
function wantMore() {
  if (inbound.indexOf(NEWLINE) >= 0) {
    return false;
  }
  if (!atLineStart) {
    return inbound.length === 0;
  }
  if (inbound.length < EXPECT.length) {
    return true;
  }
  return inbound.subarray(0, EXPECT.length).equals(EXPECT) && inbound.indexOf('"', EXPECT.length) < 0;
}

// Request bytes for the kernel: at most up to the end of the next line.
function readRequest(buffer, offset, length) {
  while (wantMore()) {
    const n = retrying(() => realReadSync(PROTOCOL_IN, chunk, 0, chunk.length, null));
    if (n === 0) {
      break;
    }
    inbound = inbound.length === 0 ? Buffer.from(chunk.subarray(0, n)) : Buffer.concat([inbound, chunk.subarray(0, n)]);
  }
  if (inbound.length === 0) {
    return 0;
  }
  if (atLineStart) {
    serveLine(inbound);
  }
  const end = inbound.indexOf(NEWLINE);
  const n = Math.min(length, end < 0 ? inbound.length : end + 1);
  inbound.copy(buffer, offset, 0, n);
  inbound = inbound.subarray(n);
  atLineStart = buffer[offset + n - 1] === NEWLINE;
  return n;
}

function serveLine(line) {
  if (line.subarray(0, EXPECT.length).equals(EXPECT)) {
    const close = line.indexOf('"', EXPECT.length);
    serving.push({ expect: line.subarray(EXPECT.length, close).toString() });
  } else if (!startsWith(line, '{"complete"') && !startsWith(line, '{"exit"')) {
    serving.push({ expect: undefined });
  }
}

function startsWith(buffer, text) {
  return buffer.subarray(0, text.length).toString() === text;
}

// A message of the kernel: written, or (the answer of a create not waited for) dropped.
function writeAnswer(bytes) {
  if (!helloWritten) {
    helloWritten = true;
    writeAll(PROTOCOL_OUT, bytes);
    return;
  }
  if (startsWith(bytes, '{"callback"')) {
    const request = serving[serving.length - 1];
    if (request !== undefined && request.expect !== undefined) {
      fatal(`creating ${request.expect} called back into Python, which does not wait for that create`);
    }
    writeAll(PROTOCOL_OUT, bytes);
    return;
  }
  const request = serving.pop();
  if (request === undefined || request.expect === undefined) {
    writeAll(PROTOCOL_OUT, bytes);
    return;
  }
  const answer = JSON.parse(bytes.toString());
  if ('ok' in answer && answer.ok !== null && typeof answer.ok === 'object' && answer.ok['$jsii.byref'] === request.expect) {
    return;
  }
  if (!('error' in answer)) {
    fatal(`a create was answered ${JSON.stringify(answer.ok)}, not the reference ${request.expect} Python gave its object`);
  }
  const at = request.expect.lastIndexOf('@'); // <fqn>@<n>, and an fqn may hold '@' (@scope/package.Type)
  const error = `creating ${request.expect.slice(0, at)} failed: ${answer.error}`;
  failures.push(error);
  writeAll(PROTOCOL_OUT, Buffer.from(`${JSON.stringify({ 'infraplan.failedCreate': { ...answer, error, expect: request.expect } })}\n`));
  const placeholder = `${EXPECT}Object@${request.expect.slice(at + 1)}", "fqn": "Object", "args": [], "overrides": [], "interfaces": [], "api": "create"}\n`;
  inbound = Buffer.concat([Buffer.from(placeholder), inbound]);
}

//#endregion

//#region The kernel's view of the descriptors (fs.readSync / fs.writeSync and callbacks)

// The bytes fs.write(Sync) would write, for each of its call forms: (fd, buffer[, offset[,
// length]]), (fd, buffer, { offset, length }) and (fd, string[, position[, encoding]]).
function payload(data, offsetOrOptions, lengthOrEncoding) {
  if (typeof data === 'string') {
    return Buffer.from(data, typeof lengthOrEncoding === 'string' ? lengthOrEncoding : 'utf8');
  }
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const options = offsetOrOptions !== null && typeof offsetOrOptions === 'object' ? offsetOrOptions : {};
  const offset = (typeof offsetOrOptions === 'number' ? offsetOrOptions : options.offset) ?? 0;
  const length = (typeof lengthOrEncoding === 'number' ? lengthOrEncoding : options.length) ?? view.length - offset;
  return view.subarray(offset, offset + length);
}

fs.readSync = function readSync(fd, ...rest) {
  if (fd === KERNEL_CHANNEL) {
    return readRequest(...rest);
  }
  if (fd === PROTOCOL_IN) {
    return 0; // hosted code reads no request meant for the kernel
  }
  return realReadSync(fd, ...rest);
};

fs.writeSync = function writeSync(fd, data, offsetOrOptions, lengthOrEncoding, ...rest) {
  const tag = consoleTag(fd);
  if (fd === KERNEL_CHANNEL || tag !== undefined) {
    const bytes = payload(data, offsetOrOptions, lengthOrEncoding);
    if (tag === undefined) {
      writeAnswer(bytes);
    } else {
      forward(tag, bytes);
    }
    return bytes.length;
  }
  return realWriteSync(fd, data, offsetOrOptions, lengthOrEncoding, ...rest);
};

fs.write = function write(fd, data, ...rest) {
  const tag = consoleTag(fd);
  if (tag !== undefined) {
    const callback = rest.pop();
    const bytes = payload(data, rest[0], rest[1]);
    forward(tag, bytes);
    process.nextTick(callback, null, bytes.length, data);
    return undefined;
  }
  return realWrite(fd, data, ...rest);
};

fs.read = function read(fd, ...rest) {
  if (fd === PROTOCOL_IN) {
    const callback = rest.pop();
    process.nextTick(callback, null, 0, rest[0]);
    return undefined;
  }
  return realRead(fd, ...rest);
};

//#endregion

//#region process.stdin / stdout / stderr (and so console), replaced before anything opens them

// Never opening Node's own streams on fds 0-2 also keeps those descriptors blocking: libuv
// would switch a pipe it opens to non-blocking mode.
function consoleStream(tag, fd) {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      forward(tag, chunk);
      done();
    },
    destroy(err, done) {
      done(err); // as Node's own stdio streams: destroying one closes nothing, and it stays usable
      this._undestroy();
    },
  });
  stream.fd = fd;
  stream._isStdio = true;
  return stream;
}

const streams = {
  stdin: Object.assign(new Readable({ read() { this.push(null); } }), { fd: PROTOCOL_IN }),
  stdout: consoleStream('stdout', 1),
  stderr: consoleStream('stderr', CONSOLE),
};
for (const [name, stream] of Object.entries(streams)) {
  Object.defineProperty(process, name, { configurable: true, enumerable: true, get: () => stream });
}

process.on('uncaughtException', (err) => {
  try {
    forward('stderr', Buffer.from(`${err && err.stack ? err.stack : String(err)}\n`));
  } finally {
    process.exit(1);
  }
});

//#endregion

//#region The kernel program: the one the Python jsii package ships, laid out as jsii lays it out

// jsii's Python package ships its runtime as flat files (lib/program.js as lib__program.js, see
// jsii/_embedded/jsii/__init__.py); the program starts lib/runtime-index-worker.js from beside
// itself, so the lib/ files are laid out again, as jsii's own start does, in a folder of this
// process's own (hard links where the file system allows, copies otherwise).
function layOutKernel(embedded) {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'infraplan-jsii-'));
  fs.mkdirSync(path.join(folder, 'lib'));
  for (const name of fs.readdirSync(embedded)) {
    if (name.startsWith('lib__') && name.endsWith('.js')) {
      const from = path.join(embedded, name);
      const to = path.join(folder, 'lib', name.slice('lib__'.length));
      try {
        fs.linkSync(from, to);
      } catch {
        fs.copyFileSync(from, to);
      }
    }
  }
  return folder;
}

// The folder goes when the process exits. A signal still ends the process at once, by that
// signal: a listener would only run once the kernel's blocking read of the next request returns,
// so none is installed, and a folder of a process killed so stays (as jsii's kernel leaves its own).
function removeAtExit(folder) {
  process.on('exit', () => fs.rmSync(folder, { recursive: true, force: true }));
}

const embedded = process.env.INFRAPLAN_JSII_EMBEDDED;
if (!embedded || !fs.existsSync(path.join(embedded, 'lib__program.js'))) {
  forward('stderr', Buffer.from(`infraplan's jsii host: INFRAPLAN_JSII_EMBEDDED (${embedded}) names no folder of jsii's runtime files (lib__program.js)\n`));
  process.exit(1);
}
const folder = layOutKernel(embedded);
removeAtExit(folder);
require(path.join(folder, 'lib', 'program.js')); // says hello on fd 3, then serves requests until {"exit"} or end of input

//#endregion
