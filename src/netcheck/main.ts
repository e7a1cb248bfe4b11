/**
 * `npm run validate:network`: checks the network model against the Linux kernel's own TCP
 * between network namespaces (see testbed.ts) and prints the comparison table.
 *
 * Exit status: 0 when every row meets its target, 1 when one misses, 2 when this machine cannot
 * run the check (not root, no namespaces, no `tc`…): a skip is reported, never a silent pass.
 * `--quick` runs the short set; `--cc reno` predicts and pins Reno instead of CUBIC.
 */
import { fullCases, quickCases } from './cases.js';
import { formatReport } from './report.js';
import { runNetworkCheck } from './runCheck.js';

async function main(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const ccAt = argv.indexOf('--cc');
  const cc = ccAt >= 0 ? argv[ccAt + 1] : 'cubic';
  if (cc !== 'cubic' && cc !== 'reno') {
    process.stderr.write(`--cc: must be cubic or reno, got ${String(cc)}\n`);
    return 2;
  }
  const report = await runNetworkCheck({
    cases: quick ? quickCases() : fullCases(),
    congestionControl: cc,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  process.stdout.write(formatReport(report));
  if (report.status === 'skipped') return 2;
  return report.status === 'passed' ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`network check failed to run: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
