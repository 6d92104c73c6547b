/**
 * Finds the host programs a TypeScript file starts, by reading its syntax tree: the program
 * named by a spawn-like call (`spawn('git', …)`, `exec('ip', …)`, `mustExec(exec, 'losetup', …)`),
 * an argv tuple (`['ssh', [...]]`), an argv builder (`inCgroupsArgv(c, 'systemd-nspawn', …)`),
 * the program after `ip netns exec NS`, every command word of an `sh -c '…'` string, and a
 * browser's `executablePath`, following a constant of the same file where one is named.
 * Commands run inside a Pi (over SSH, or by nsenter into a container) are the Pi's, not the
 * host's, and are not counted.
 */
import ts from 'typescript';

export interface SpawnedProgram {
  readonly program: string;
  readonly line: number;
}

const PROGRAM = /^(\/[\w/.-]+\/)?[a-z0-9][a-z0-9._+-]*$/;
const SPAWNER = /^(spawn|spawnSync|execFile|execFileSync|execSync|spawnDetached|\w*[Ee]xec|run|\w*Run)$/;
const SHELLS = new Set(['sh', 'bash', 'dash', '/bin/sh', '/bin/bash', '/usr/bin/bash', '/bin/dash']);
const BUILTINS = new Set([
  'cd',
  'command',
  'echo',
  'printf',
  'exit',
  'test',
  '[',
  'set',
  'export',
  'read',
  'true',
  'false',
  'exec',
  'eval',
  'trap',
  'wait',
  'kill',
  'umask',
  'type',
  'shift',
  'unset',
  ':',
  '.',
]);

function stringValue(node: ts.Node | undefined): string | undefined {
  if (!node) return undefined;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return node.head.text;
  return undefined;
}

/** `const X = 'lit'` or `const X = process.env.Y ?? 'lit'` in the file, by name. */
function constants(sf: ts.SourceFile): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (node: ts.Node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      const init = node.initializer;
      const value =
        stringValue(init) ??
        (ts.isBinaryExpression(init) && init.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken
          ? stringValue(init.right)
          : undefined);
      if (value !== undefined) found.set(node.name.text, value);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function calleeName(call: ts.CallExpression): string {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return '';
}

/** Command words of a shell string: the first word of each `&&`, `||`, `;` or `|` segment. */
export function shellCommandWords(script: string): string[] {
  return script
    .split(/&&|\|\||;|\||\n/)
    .map((segment) => segment.trim().split(/\s+/)[0] ?? '')
    .filter((word) => word !== '' && PROGRAM.test(word) && !BUILTINS.has(word));
}

export function spawnedPrograms(fileName: string, text: string): SpawnedProgram[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const named = constants(sf);
  const valueOf = (node: ts.Node | undefined) => stringValue(node) ?? (node && ts.isIdentifier(node) ? named.get(node.text) : undefined);
  const found: SpawnedProgram[] = [];
  const add = (program: string | undefined, node: ts.Node) => {
    if (program !== undefined && PROGRAM.test(program))
      found.push({ program, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1 });
  };
  const argvLiteral = (program: string, args: ts.Node | undefined, node: ts.Node) => {
    if (!args || !ts.isArrayLiteralExpression(args)) return;
    const words = args.elements.map((e) => stringValue(e));
    if (SHELLS.has(program)) {
      const c = words.indexOf('-c');
      const script = c >= 0 ? words[c + 1] : undefined;
      if (script !== undefined) for (const word of shellCommandWords(script)) add(word, node);
    }
    if (program === 'ip' && words[0] === 'netns' && words[1] === 'exec') add(words[3], node);
  };
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node)) {
      const name = calleeName(node);
      // The program is the first argument, or the second after an injected runner
      // (`mustExec(exec, 'ip', …)`); `ssh.exec(target, 'cmd')` names a Pi, not a program here.
      const [first, second] = node.arguments;
      const injected = first !== undefined && ts.isIdentifier(first) && /exec|run/i.test(first.text);
      const at = valueOf(first) !== undefined ? 0 : injected && valueOf(second) !== undefined ? 1 : -1;
      const args = at >= 0 ? node.arguments[at + 1] : undefined;
      // An argv follows the program; a string after it means a CLI wrapper (`run('list', '--json')`).
      if (SPAWNER.test(name) && at >= 0 && args !== undefined && stringValue(args) === undefined) {
        const program = valueOf(node.arguments[at])!;
        add(program, node);
        argvLiteral(program, args, node);
      } else if (/Argv$/.test(name)) {
        add(
          node.arguments.map((a) => stringValue(a)).find((v) => v !== undefined),
          node,
        );
      }
    }
    if (ts.isArrayLiteralExpression(node) && node.elements.length === 2 && ts.isArrayLiteralExpression(node.elements[1]!)) {
      const program = stringValue(node.elements[0]);
      if (program !== undefined) {
        add(program, node);
        argvLiteral(program, node.elements[1], node);
      }
    }
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === 'executablePath')
      add(valueOf(node.initializer), node);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}
