// The company the chaos run keeps changing: an HR export (the CSV upstream's file) that gains joiners,
// loses leavers, renames titles and moves people between departments every round, deterministically
// from a seed so a failing run can be replayed.

export interface Person {
  employeeNumber: string;
  username: string;
  name: string;
  email: string;
  mobile: string;
  title: string;
  department: string;
  managerNumber: string;
}

export const departments = ['Acme', 'Acme/Engineering', 'Acme/Engineering/Platform', 'Acme/Engineering/Apps', 'Acme/Sales', 'Acme/Operations'];

/** mulberry32: small, seeded, good enough to pick who joins and leaves. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RoundChanges {
  joined: string[];
  left: string[];
  retitled: string[];
  moved: string[];
}

export class Company {
  readonly people = new Map<string, Person>();
  /** employee numbers of everyone who ever left: they must never come back in a target */
  readonly leavers = new Set<string>();
  private next = 1;

  constructor(private readonly random: () => number) {}

  private hire(): Person {
    const n = this.next++;
    const number = `C${String(n).padStart(5, '0')}`;
    const ceo = this.people.size === 0;
    const person: Person = {
      employeeNumber: number,
      username: `chaos${n}`,
      name: n % 3 === 0 ? `员工${n}` : `Person ${n}`,
      email: `chaos${n}@acme.example`,
      mobile: `139${String(10_000_000 + n).slice(-8)}`,
      title: ceo ? 'Chief Executive Officer' : 'Engineer',
      department: ceo ? 'Acme' : this.pick(departments.slice(1)),
      managerNumber: ceo ? '' : 'C00001',
    };
    this.people.set(number, person);
    return person;
  }

  private pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.random() * list.length)];
  }

  /** everyone but the CEO, whom every manager column names */
  private staff(): Person[] {
    return [...this.people.values()].filter((p) => p.employeeNumber !== 'C00001');
  }

  seed(size: number): void {
    for (let i = 0; i < size; i++) this.hire();
  }

  /** A few joiners, one or two leavers, some new titles and department moves. */
  change(round: number): RoundChanges {
    const joined = Array.from({ length: 2 + Math.floor(this.random() * 3) }, () => this.hire().employeeNumber);
    const left: string[] = [];
    for (let i = 0; i < 1 + Math.floor(this.random() * 2); i++) {
      const leaver = this.pick(this.staff().filter((p) => !joined.includes(p.employeeNumber)));
      this.people.delete(leaver.employeeNumber);
      this.leavers.add(leaver.employeeNumber);
      left.push(leaver.employeeNumber);
    }
    const retitled: string[] = [];
    const moved: string[] = [];
    for (const person of this.staff()) {
      if (joined.includes(person.employeeNumber)) continue;
      const roll = this.random();
      if (roll < 0.08) {
        person.title = `Engineer (round ${round})`;
        retitled.push(person.employeeNumber);
      } else if (roll < 0.14) {
        person.department = this.pick(departments.slice(1).filter((d) => d !== person.department));
        moved.push(person.employeeNumber);
      }
    }
    return { joined, left, retitled, moved };
  }

  csv(): string {
    const header = 'username,name,email,mobile,employee_number,title,department,manager,status';
    const rows = [...this.people.values()].map((p) =>
      [p.username, p.name, p.email, p.mobile, p.employeeNumber, p.title, p.department, p.managerNumber, 'active'].join(','),
    );
    return `${[header, ...rows].join('\n')}\n`;
  }
}
