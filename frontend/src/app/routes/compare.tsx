import { useCallback } from 'react';
import { CompareView } from '@/features/compare/components/compare-view';
import { readCompareQuery, writeCompareQuery, type CompareQuery } from '@/features/compare/lib/window';
import { navigate, useLocation } from '@/lib/url-state';

/** `/?view=compare&metrics=a,b&layout=overlay&range=15m[&from=…&to=…]`: several metrics together. */
export default function CompareRoute() {
  const { search } = useLocation();
  const onChange = useCallback((next: CompareQuery) => navigate(`/${writeCompareQuery(next)}`), []);
  return <CompareView query={readCompareQuery(search)} onChange={onChange} />;
}
