import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { renderWithProviders } from '@/testing/render';
import { RangeSelect } from '../range-select';
import { Select, SelectInput } from '../select';

const SIZES = [
  { value: 's', label: 'Small' },
  { value: 'l', label: 'Large' },
] as const;

describe('Select', () => {
  it('is named by its visible label, shows the labels and hands back the picked value', async () => {
    const onChange = vi.fn();
    renderWithProviders(<Select label="Size" testId="size" value="s" options={SIZES} onChange={onChange} />);
    const select = screen.getByLabelText('Size');
    expect(select).toBe(screen.getByTestId('size'));
    expect(select).toHaveValue('s');
    expect(screen.getAllByRole('option').map((option) => option.textContent)).toEqual(['Small', 'Large']);

    await userEvent.selectOptions(select, 'Large');
    expect(onChange).toHaveBeenCalledWith('l');
  });

  it('compact adds the narrow field class; disabled disables the select', () => {
    renderWithProviders(<Select compact disabled label="Size" value="s" options={SIZES} onChange={() => {}} />);
    const select = screen.getByLabelText('Size');
    expect(select).toBeDisabled();
    expect(select.closest('label')).toHaveClass('field', 'field-compact');
  });

  it('without a visible label is named by ariaLabel and gives each option its lang', () => {
    renderWithProviders(
      <SelectInput ariaLabel="Language" value="es" options={[{ value: 'es', label: 'Español', lang: 'es' }]} onChange={() => {}} />,
    );
    expect(screen.getByRole('combobox', { name: 'Language' })).toHaveValue('es');
    expect(screen.getByRole('option', { name: 'Español' })).toHaveAttribute('lang', 'es');
    expect(screen.queryByText('Language')).toBeNull();
  });
});

describe('RangeSelect', () => {
  it('offers the presets and hands back the one picked', async () => {
    const onChange = vi.fn();
    renderWithProviders(<RangeSelect value="15m" onChange={onChange} />);
    const select = screen.getByTestId('range-select');
    expect(select).toHaveValue('15m');
    expect(screen.queryByRole('option', { name: 'Custom' })).toBeNull();

    await userEvent.selectOptions(select, 'Last 5 minutes');
    expect(onChange).toHaveBeenCalledWith('5m');
  });

  it('shows "Custom" selected for a window that is not a preset, and a preset picked leaves it', async () => {
    const onChange = vi.fn();
    renderWithProviders(<RangeSelect value="15m" custom onChange={onChange} />);
    const select = screen.getByTestId('range-select');
    expect(select).toHaveValue('custom');
    expect(screen.getAllByRole('option')[0]).toHaveTextContent('Custom');

    await userEvent.selectOptions(select, 'Last 5 minutes');
    expect(onChange).toHaveBeenCalledWith('5m');
  });
});
