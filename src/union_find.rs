//! Union–find over indices `0..n`: which items are connected, and the groups they form. The one
//! copy the grouping of videos, the clustering of faces and the user's links all use.

/// Disjoint sets of `0..n`; a group is named by its smallest member.
pub struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    pub fn new(n: usize) -> Self {
        Self { parent: (0..n).collect() }
    }

    /// The smallest member of `i`'s group (paths halved on the way).
    pub fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    pub fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }

    /// Every group, each sorted, groups ordered by their first member.
    pub fn groups(mut self) -> Vec<Vec<usize>> {
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut index_of_root = std::collections::HashMap::new();
        for x in 0..self.parent.len() {
            let root = self.root(x);
            let g = *index_of_root.entry(root).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[g].push(x);
        }
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_make_groups_named_by_their_first_member() {
        let mut u = UnionFind::new(6);
        u.join(4, 1);
        u.join(5, 4);
        u.join(2, 3);
        assert_eq!(u.root(5), 1);
        assert_eq!(u.groups(), vec![vec![0], vec![1, 4, 5], vec![2, 3]]);
    }
}
