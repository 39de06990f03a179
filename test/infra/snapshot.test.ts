/**
 * Change detector, not proof: one snapshot of the example stack. The security properties are asserted
 * one by one in the other suites; this shows a reviewer every template change in a diff.
 * Asset hashes are replaced so the snapshot does not depend on the checkout path or bundler output.
 */
import { exampleStack } from '../helpers/app';

test('FinancialApiStack template (change detector)', () => {
  const { template } = exampleStack();
  const json = JSON.stringify(template.toJSON(), null, 1).replace(/[a-f0-9]{64}/g, '<hash>');
  expect(JSON.parse(json)).toMatchSnapshot();
});
