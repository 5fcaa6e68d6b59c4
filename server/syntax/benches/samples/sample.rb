# Sample for the parse benchmark; _N_ is replaced by a counter when repeated.
# BENCH-REPEAT
require "json"

# A cache of parsed settings, keyed by name.
class SettingsCache_N_
  attr_reader :hits, :misses

  def initialize(name = "default")
    @name = name
    @entries = {}
    @hits = 0
    @misses = 0
  end

  def load(text)
    text.each_line.with_index(1).count do |raw, number|
      line = raw.strip
      next false if line.empty? || line.start_with?("#")
      key, value = line.split("=", 2)
      raise ArgumentError, "line #{number}: expected 'key = value'" if value.nil?
      @entries[key.strip] = convert(value.strip)
      true
    end
  end

  def [](key)
    @entries.key?(key) ? (@hits += 1; @entries[key]) : (@misses += 1; nil)
  end

  private

  def convert(value)
    case value
    when "true", "false" then value == "true"
    when /\A-?\d+\z/ then value.to_i
    else value.delete_prefix('"').delete_suffix('"')
    end
  end
end
