// managersFirst: managers before their reports, level by level (so apply batches of a level are independent).
import type { User } from './model';
import { managersFirst } from './plan-users';

const u = (id: string, managerId: string | null) => ({ id, managerId }) as unknown as User;

test('managers come before their reports, one level after another, the depth-first order kept within a level', () => {
  // a → b → c (chain), d → e, f with a manager outside the set (x)
  const users = [u('c', 'b'), u('e', 'd'), u('b', 'a'), u('a', null), u('d', null), u('f', 'x')];
  expect(managersFirst(users).map((x) => x.id)).toEqual(['a', 'd', 'f', 'b', 'e', 'c']);
});

test('a cycle is broken where it closes: the user reached first is created without the manager, as before', () => {
  const users = [u('p', 'q'), u('q', 'r'), u('r', 'p'), u('s', 'p')];
  const order = managersFirst(users).map((x) => x.id);
  // Depth-first walk from p: r, q, p emitted top-down (r first, its manager p not yet created).
  expect(order).toEqual(['r', 'q', 'p', 's']);
});
